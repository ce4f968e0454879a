"""Japanese text for every error code and field name: the one table reviewers check.

The UI passes these through Qt's translator; the command line prints them as they are.
"""

FIELD_LABELS: dict[str, str] = {
    "name": "事業者名",
    "name_kana": "フリガナ",
    "kind": "事業者区分",
    "corporate_number": "法人番号",
    "jsic_major": "業種（JSIC大分類）",
    "sme_category": "中小企業の業種区分",
    "postal_code": "郵便番号",
    "town_id": "町名",
    "area": "地域",
    "address": "所在地",
    "phone": "電話番号",
    "email": "メール",
    "representative_name": "代表者名",
    "representative_residence": "代表者区分",
    "representative_address": "代表者住所",
    "representative_phone": "代表者電話",
    "capital": "資本金",
    "employees": "従業員数",
    "founded_on": "設立日",
    "in_ward_since": "区内での営業開始日",
    "chokai_name": "町会",
    "street_association_id": "商店街",
    "summary": "経過メモ",
    "consulted_on": "相談日",
    "channel_id": "相談方法",
    "staff_id": "担当者",
    "business_id": "事業者",
    "prospect_name": "創業予定者名",
    "minutes": "所要時間",
    "topic_ids": "相談分野",
    "primary_topic_id": "主な相談分野",
    "initiative_ids": "施策",
    "next_action": "次回対応",
    "due_on": "対応期限",
}

MESSAGES: dict[str, str] = {
    "required": "入力してください。",
    "too_long": "長すぎます。",
    "invalid_choice": "一覧から選んでください。",
    "negative": "0以上の数を入力してください。",
    "number.format": "数字で入力してください（例: 1,000,000 / 500万）。",
    "date.format": "日付として読み取れません（例: 2026-10-01 / 令和8年10月1日）。",
    "date.future": "未来の日付は入力できません。",
    "corporate_number.length": "法人番号は13桁の数字です。",
    "corporate_number.check_digit": "法人番号の検査用数字（先頭の1桁）が合いません。番号を確認してください。",
    "corporate_number.not_for_sole": "個人事業主には法人番号がありません。",
    "duplicate": "同じ法人番号の事業者がすでに登録されています。",
    "postal_code.format": "郵便番号は7桁の数字です（例: 101-0054）。",
    "postal_code.town_mismatch": "郵便番号が選んだ町名と合いません。",
    "area.town_mismatch": "地域が選んだ町名と合いません。",
    "email.format": "メールアドレスの形式が正しくありません。",
    "minutes.range": "所要時間は1〜1440分で入力してください。",
    "consultation.business_or_prospect": "事業者を選ぶか、創業予定者名を入力してください。",
    "consultation.both_business_and_prospect": "事業者と創業予定者の両方は指定できません。",
    "consultation.primary_not_in_topics": "主な相談分野は選んだ分野の中から選んでください。",
    "consultation.due_before_consultation": "対応期限が相談日より前です。",
    "consultation.due_without_action": "対応期限を入れるときは次回対応も入力してください。",
    "staff.inactive": "この担当者は現在使われていません。",
    "business.archived": "この事業者はアーカイブ済みです。",
    "validation": "入力内容を確認してください。",
    "not_found": "対象のデータが見つかりません。削除された可能性があります。",
    "conflict": "他の人がこのデータを先に更新しました。入力内容は残っています。最新の内容を確認してから、もう一度保存してください。",
    "storage.locked": "データベースが他の処理で使用中です。しばらくしてからもう一度お試しください。",
    "storage.disk_full": "ディスクの空きがないため保存できませんでした。保存済みのデータは失われていません。",
    "storage.read_only": "データベースファイルが読み取り専用のため保存できませんでした。",
    "storage.io": "データベースファイルを読み書きできませんでした。",
    "schema.too_new": "このデータベースは新しい版の consult-desk で作られています。アプリを更新してください。",
    "schema.foreign": "このファイルは consult-desk のデータベースではありません。",
    "schema.needs_upgrade": "データベースの更新が必要です。管理者が consult-desk db upgrade を実行してください。",
    "schema.foreign_key_check": "データベース更新後の整合性確認に失敗しました。更新は取り消されました。",
    "backup.not_sqlite": "この操作は SQLite のデータベースでのみ使えます。PostgreSQL は pg_dump でバックアップしてください。",
    "backup.target_exists": "バックアップ先のファイルがすでにあります。別の名前を指定してください。",
    "backup.verify_failed": "バックアップの検証に失敗しました。",
}


def message_for(code: str) -> str:
    return MESSAGES.get(code, f"エラーが発生しました（{code}）。")


def field_label(field: str) -> str:
    return FIELD_LABELS.get(field, field)
