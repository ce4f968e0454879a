"""Where an SQLite file must not live: network shares and synced folders (R5)."""

from pathlib import Path

import pytest

from consult_desk.db.location import Risk, check_location, mount_file_system

MOUNTS = """\
overlay / overlay rw,relatime 0 0
proc /proc proc rw,nosuid 0 0
/dev/sda1 /home ext4 rw,relatime 0 0
//filer/section /mnt/section cifs rw,vers=3.0 0 0
filer:/export/desk /home/sato/nfs nfs4 rw,relatime 0 0
sato@host:/srv /home/sato/remote\\040files fuse.sshfs rw 0 0
tmpfs /tmp tmpfs rw 0 0
"""
LOCAL = {"drive_type": lambda root: 3}  # DRIVE_FIXED
NO_ENV: dict[str, str] = {}


@pytest.mark.parametrize(
    "path",
    [
        r"\\filer\section\consult-desk.sqlite",
        "//filer/section/consult-desk.sqlite",
        r"\\192.0.2.10\共有\相談\desk.sqlite",
    ],
)
def test_windows_unc_paths_are_network(path: str) -> None:
    found = check_location(path, windows=True, environ=NO_ENV, **LOCAL)
    assert found is not None and found.risk is Risk.NETWORK
    assert found.message_code == "location.network"


def test_a_mapped_drive_windows_reports_remote_is_network() -> None:
    asked: list[str] = []

    def drive_type(root: str) -> int:
        asked.append(root)
        return 4 if root == "Z:\\" else 3

    found = check_location(r"Z:\相談\desk.sqlite", windows=True, drive_type=drive_type, environ={})

    assert found is not None and found.risk is Risk.NETWORK and found.reason == "Z:"
    assert asked == ["Z:\\"]
    assert (
        check_location(
            r"C:\consult-desk\desk.sqlite", windows=True, drive_type=drive_type, environ={}
        )
        is None
    )


def test_the_long_path_prefix_is_not_a_share() -> None:
    assert (
        check_location(r"\\?\C:\consult-desk\desk.sqlite", windows=True, environ={}, **LOCAL)
        is None
    )


@pytest.mark.parametrize(
    ("path", "folder"),
    [
        (r"C:\Users\sato\OneDrive\ドキュメント\desk.sqlite", "OneDrive"),
        (r"C:\Users\sato\OneDrive - 千代田区\desk.sqlite", "OneDrive - 千代田区"),
        (r"D:\Dropbox\desk.sqlite", "Dropbox"),
        (r"G:\マイドライブ\desk.sqlite", "マイドライブ"),
        (r"C:\Users\sato\iCloudDrive\desk.sqlite", "iCloudDrive"),
    ],
)
def test_windows_sync_folders_are_named(path: str, folder: str) -> None:
    found = check_location(path, windows=True, environ=NO_ENV, **LOCAL)
    assert found is not None and found.risk is Risk.SYNCED and found.reason == folder


def test_onedrive_folders_from_the_environment_count_whatever_their_name() -> None:
    environ = {"OneDriveCommercial": r"C:\Users\sato\Work Files"}

    found = check_location(
        r"C:\Users\sato\Work Files\desk.sqlite", windows=True, environ=environ, **LOCAL
    )

    assert found is not None and found.risk is Risk.SYNCED
    assert (
        check_location(
            r"C:\Users\sato\Work Files2\desk.sqlite", windows=True, environ=environ, **LOCAL
        )
        is None
    )


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/mnt/section/desk.sqlite", "cifs (/mnt/section)"),
        ("/home/sato/nfs/sub/desk.sqlite", "nfs4 (/home/sato/nfs)"),
        ("/home/sato/remote files/desk.sqlite", "fuse.sshfs (/home/sato/remote files)"),
    ],
)
def test_linux_network_file_systems_are_found_in_the_mount_table(path: str, reason: str) -> None:
    found = check_location(path, windows=False, mounts=MOUNTS, environ=NO_ENV)
    assert found is not None and found.risk is Risk.NETWORK and found.reason == reason


@pytest.mark.parametrize(
    "path",
    ["/home/sato/desk.sqlite", "/home/sato/nfsish/desk.sqlite", "/tmp/desk.sqlite", "/desk.sqlite"],
)
def test_local_linux_paths_are_fine(path: str) -> None:
    assert check_location(path, windows=False, mounts=MOUNTS, environ=NO_ENV) is None


def test_the_innermost_mount_wins() -> None:
    assert mount_file_system(Path("/home/sato/nfs/x"), MOUNTS) == ("/home/sato/nfs", "nfs4")
    assert mount_file_system(Path("/home/sato/x"), MOUNTS) == ("/home", "ext4")
    assert mount_file_system(Path("/x"), MOUNTS) == ("/", "overlay")


@pytest.mark.parametrize(
    ("path", "risky"),
    [
        ("/home/sato/Dropbox/desk.sqlite", True),
        ("/home/sato/Dropbox (個人)/desk.sqlite", True),
        ("/home/sato/Library/Mobile Documents/com~apple~CloudDocs/desk.sqlite", True),
        ("/home/sato/Google Drive/desk.sqlite", True),
        ("/home/sato/dropbox-notes/desk.sqlite", False),
        ("/home/sato/data/OneDrive", False),  # a file of that name is no folder
    ],
)
def test_sync_folders_on_any_system(path: str, risky: bool) -> None:
    found = check_location(path, windows=False, mounts=MOUNTS, environ=NO_ENV)
    assert (found is not None and found.risk is Risk.SYNCED) is risky


def test_this_machines_temporary_folder_is_local(tmp_path: Path) -> None:
    # The real mount table and environment: the tests' own folder is on a local disk.
    assert check_location(tmp_path / "desk.sqlite") is None
