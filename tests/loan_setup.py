"""A fund with dated terms, a designated bank and a business: what every loan-case test needs."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from consult_desk.db.engine import Database
from consult_desk.db.models import Bank, BankBranch, Business, LoanProgram, LoanProgramTerms

LIMIT = 10_000_000


@dataclass(frozen=True)
class LoanWorld:
    program_id: int
    startup_program_id: int
    terms_id: int
    bank_id: int
    branch_id: int
    other_bank_id: int
    business_id: int


def make_loan_world(db: Database) -> LoanWorld:
    with db.write() as session:
        program = LoanProgram(name="営業資金")
        startup = LoanProgram(name="起業資金", is_startup=True)
        session.add_all([program, startup])
        session.flush()
        terms = LoanProgramTerms(
            program_id=program.id,
            valid_from=date(2026, 4, 1),
            valid_to=date(2027, 3, 31),
            limit_amount=LIMIT,
            max_term_months=84,
            max_grace_months=12,
            nominal_rate=Decimal("2.1"),
            subsidy_rate_resident=Decimal("1.6"),
            subsidy_rate_general=Decimal("0.6"),
            chokai_bonus_rate=Decimal("0.2"),
            max_concurrent_loans=2,
        )
        startup_terms = LoanProgramTerms(
            program_id=startup.id,
            valid_from=date(2026, 4, 1),
            limit_amount=20_000_000,
            max_term_months=84,
            max_grace_months=12,
            nominal_rate=Decimal("2.1"),
            subsidy_rate_resident=Decimal("1.7"),
            subsidy_rate_general=Decimal("0.6"),
            max_concurrent_loans=1,
        )
        bank = Bank(name="みずほ銀行")
        other = Bank(name="朝日信用金庫")
        session.add_all([terms, startup_terms, bank, other])
        session.flush()
        branch = BankBranch(bank_id=bank.id, name="神田支店")
        business = Business(
            kind="corporation",
            name="神田青果株式会社",
            sort_key="かんだせいか",
            sme_status="小規模企業者",
            representative_residence="resident",
            in_ward_since=date(2015, 4, 1),
        )
        session.add_all([branch, business])
        session.flush()
        return LoanWorld(
            program.id, startup.id, terms.id, bank.id, branch.id, other.id, business.id
        )
