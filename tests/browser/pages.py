"""Page objects for the officers' UI: what a test can do on each page and read from it, in the page's own words.

They find things the way people do where they can (labels, button and link names) and by the pages' stable ids
otherwise, so a test reads as the steps an officer takes.
"""

from datetime import date

from playwright.async_api import Locator, Page, expect

FORBIDDEN_HEADING = "You do not have permission to see this page"


class BasePage:
    def __init__(self, page: Page) -> None:
        self.page = page

    @property
    def heading(self) -> Locator:
        return self.page.locator("#main-content h1")

    @property
    def error_summary(self) -> Locator:
        return self.page.locator(".govuk-error-summary")

    async def error_messages(self) -> list[str]:
        return [text.strip() for text in await self.error_summary.locator("a").all_inner_texts()]

    async def navigation(self) -> list[str]:
        links = self.page.locator(".govuk-service-navigation__list a")
        return [text.strip() for text in await links.all_inner_texts()]

    async def goto(self, path: str) -> int:
        response = await self.page.goto(path)
        assert response is not None, f"no response for {path}"
        return response.status

    async def sign_out(self) -> None:
        await self.page.get_by_role("button", name="Sign out").click()
        await expect(self.heading).to_have_text("Sign in")


class SignInPage(BasePage):
    @property
    def email(self) -> Locator:
        return self.page.get_by_label("Email address")

    @property
    def password(self) -> Locator:
        return self.page.get_by_label("Password", exact=True)

    @property
    def submit_button(self) -> Locator:
        return self.page.get_by_role("button", name="Sign in", exact=True)

    async def open(self) -> None:
        await self.goto("/sign-in")
        await expect(self.heading).to_have_text("Sign in")

    async def sign_in(self, email: str, password: str) -> None:
        await self.email.fill(email)
        await self.password.fill(password)
        await self.submit_button.click()

    async def expect_signed_in_as(self, display_name: str) -> None:
        await expect(self.page.locator(".app-sign-out__name")).to_have_text(display_name)


class DashboardPage(BasePage):
    @property
    def my_cases(self) -> Locator:
        return self.page.locator("#my-cases")

    @property
    def allocation_queue(self) -> Locator:
        return self.page.locator("#allocation-queue")

    @property
    def overdue_cases(self) -> Locator:
        return self.page.locator("#overdue-cases")

    @property
    def workloads(self) -> Locator:
        return self.page.locator("#officer-workloads")

    async def open(self) -> None:
        await self.goto("/")
        await expect(self.heading).to_have_text("Dashboard")

    async def section_headings(self) -> list[str]:
        return [text.strip() for text in await self.page.locator("#main-content h2").all_inner_texts()]


class CaseListPage(BasePage):
    @property
    def rows(self) -> Locator:
        return self.page.locator("#case-list tbody tr")

    @property
    def result_count(self) -> Locator:
        return self.page.locator("#result-count")

    async def open(self) -> None:
        await self.goto("/cases")
        await expect(self.heading).to_have_text("Cases")

    async def search(self, text: str) -> None:
        await self.page.get_by_label("Search by name, UPN or date of birth").fill(text)
        await self.apply_filters()

    async def apply_filters(self) -> None:
        await self.page.get_by_role("button", name="Apply filters").click()
        await expect(self.heading).to_have_text("Cases")

    async def child_names(self) -> list[str]:
        links = self.rows.locator("a.govuk-link")
        return [text.strip() for text in await links.all_inner_texts()]

    async def open_case(self, child_name: str) -> "CasePage":
        await self.rows.get_by_role("link", name=child_name, exact=True).click()
        case_page = CasePage(self.page)
        await expect(case_page.heading).to_have_text(child_name)
        return case_page


class CasePage(BasePage):
    @property
    def tags(self) -> Locator:
        return self.page.locator("#case-tags .govuk-tag")

    @property
    def success_banner(self) -> Locator:
        return self.page.locator("#success-banner")

    @property
    def checklist_progress(self) -> Locator:
        return self.page.locator("#checklist-progress")

    @property
    def contact_rows(self) -> Locator:
        return self.page.locator("#contacts tbody tr")

    @property
    def escalation_rows(self) -> Locator:
        return self.page.locator("#escalations tbody tr")

    @property
    def timeline(self) -> Locator:
        return self.page.locator("#timeline li")

    async def open(self, case_id: str) -> int:
        return await self.goto(f"/cases/{case_id}")

    def summary_value(self, key: str) -> Locator:
        row = self.page.locator("#case-summary .govuk-summary-list__row").filter(
            has=self.page.locator("dt", has_text=key)
        )
        return row.locator("dd").first

    async def actions(self) -> list[str]:
        return [text.strip() for text in await self.page.locator("#case-actions a").all_inner_texts()]

    def checklist_status(self, check_label: str) -> Locator:
        row = self.page.locator(".app-checklist tbody tr").filter(
            has=self.page.get_by_role("cell", name=check_label, exact=True)
        )
        return row.locator(".govuk-tag")

    async def timeline_summaries(self) -> list[str]:
        return [text.strip() for text in await self.timeline.locator("p.govuk-body").all_inner_texts()]

    async def start(self, action_key: str) -> None:
        await self.page.locator(f"#action-{action_key}").click()


class ActionForm(BasePage):
    async def submit(self) -> None:
        await self.page.locator("#submit").click()

    async def choose(self, label: str) -> None:
        await self.page.get_by_label(label, exact=True).check()

    async def choose_value(self, name: str, value: str) -> None:
        await self.page.locator(f"input[name='{name}'][value='{value}']").check()

    async def fill_date(self, prefix: str, on: date) -> None:
        await self.page.locator(f"#{prefix}-day").fill(str(on.day))
        await self.page.locator(f"#{prefix}-month").fill(str(on.month))
        await self.page.locator(f"#{prefix}-year").fill(str(on.year))


class AllocateForm(ActionForm):
    async def allocate_to(self, officer_name: str) -> None:
        await self.choose(officer_name)
        await self.submit()


class CheckForm(ActionForm):
    async def record(self, check_label: str, *, on: date, outcome: str = "", note: str = "",
                     applicable: bool = True, school_concern: bool | None = None) -> None:
        await self.choose(check_label)
        await self.choose("Done" if applicable else "Not applicable")
        await self.fill_date("on", on)
        if outcome:
            await self.page.get_by_label("Outcome", exact=True).fill(outcome)
        if note:
            await self.page.get_by_label("Note", exact=True).fill(note)
        if school_concern is not None:
            await self.choose_value("school_concern", "yes" if school_concern else "no")
        await self.submit()


class ContactForm(ActionForm):
    async def record(self, method: str, result: str, *, on: date, at: str, note: str = "") -> None:
        await self.choose(method)
        await self.choose(result)
        await self.fill_date("when", on)
        await self.page.get_by_label("Time of the contact").fill(at)
        if note:
            await self.page.get_by_label("Note (optional)").fill(note)
        await self.submit()


class NoteForm(ActionForm):
    async def add(self, text: str) -> None:
        await self.page.get_by_label("Note", exact=True).fill(text)
        await self.submit()


class EscalateForm(ActionForm):
    @property
    def missing_mondays_problems(self) -> Locator:
        return self.page.locator("#missing-mondays-problems li")

    async def escalate(self, kind: str, *, cme_score: int | None = None, safeguarding_score: int | None = None,
                       note: str = "") -> None:
        await self.choose(kind)
        if cme_score is not None:
            await self.choose_value("cme_score", str(cme_score))
        if safeguarding_score is not None:
            await self.choose_value("safeguarding_score", str(safeguarding_score))
        if note:
            await self.page.get_by_label("Note (optional)").fill(note)
        await self.submit()


class CloseForm(ActionForm):
    async def close(self, reason: str, *, school_id: str = "", destination_country: str = "") -> None:
        await self.choose(reason)
        if school_id:
            await self.page.get_by_label("School's establishment number").fill(school_id)
        if destination_country:
            await self.page.get_by_label("Moved abroad: destination country").fill(destination_country)
        await self.submit()
