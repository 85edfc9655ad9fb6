"""The development console's page in a real browser: headless Chromium (Debian's package)
driven by Playwright, against the dev server as ``legcheck serve --no-verify`` builds it.

Each test works the page as a person would (types into "Utterance", presses "Send", reads the
"Conversation" log, the "Screen", the "Card" and the JSON panes) and looks at what they would
see. The screen is drawn by Amazon's APL renderer (apl-viewhost-web, which scripts/setup
installs): the tests read the renderer's own DOM, not the plain-text fallback. A run saves
screenshots of the speaker, Echo Show and round-screen views (LEGCHECK_SCREENSHOTS, or the
run's temporary folder); docs/images/console-*.png are copies of such a run.

One browser and one page per test worker; each test loads the page afresh (a new console
session). Requests to anywhere but the dev server (the renderer's fonts on Amazon's CDN) are
refused at once, so nothing waits on a network this machine may not have.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, Playwright, Route, sync_playwright

from skill.tools.paths import REPO_ROOT
from tests.support.browser import (
    chromium_path,
    console_server,
    contrast_ratio,
    css_custom_properties,
    screenshots_folder,
)

CONSOLE_CSS = REPO_ROOT / "skill" / "tools" / "console" / "static" / "console.css"
CONVERSATIONS = REPO_ROOT / "tests" / "conversations"
TIMEOUT_MS = 30_000  # a first render compiles the renderer's WebAssembly: seconds on a busy CI

ITCHY_LEGS = ["ask leg check my legs are itchy after my run", "no", "yes"]
ITCH_TITLE = "Leg Check: the ordinary itch or tingle many runners get"
ITCH_STEP = "1. Keep moving gently for a few minutes to cool down."


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    launched = playwright_driver.chromium.launch(
        executable_path=str(chromium_path()), headless=True
    )
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def console_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with console_server(tmp_path_factory.mktemp("console-store")) as url:
        yield url + "/console"


@pytest.fixture(scope="session")
def shared_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.route("**/*", _loopback_only)
    yield page
    context.close()


def _loopback_only(route: Route) -> None:
    if route.request.url.startswith("http://127.0.0.1:"):
        route.continue_()
    else:
        route.abort()  # the renderer's fonts on Amazon's CDN: it falls back to local fonts


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screenshots_folder(tmp_path_factory.mktemp("console-screenshots"))


class Console:
    """The console page, worked as a person would."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []

    def open(self, url: str) -> Console:
        self.page.on("pageerror", self._error)
        self.page.goto(url)
        self.page.wait_for_selector("body[data-ready='true'][data-busy='false']")
        return self

    def _error(self, error: Exception) -> None:
        self.errors.append(str(error))

    def close(self) -> None:
        self.page.remove_listener("pageerror", self._error)

    def idle(self) -> None:
        """Wait until every request the page made has been answered and shown."""
        self.page.wait_for_function("document.body.dataset.busy === 'false'")

    def choose(self, device: str | None = None, locale: str | None = None) -> None:
        if device is not None:
            self.page.get_by_label("Device", exact=True).select_option(device)
            self.idle()
        if locale is not None:
            self.page.get_by_label("Locale", exact=True).select_option(locale)
            self.idle()

    def say(self, *utterances: str) -> None:
        for utterance in utterances:
            self.page.get_by_label("Utterance").fill(utterance)
            self.page.get_by_role("button", name="Send", exact=True).click()
            self.idle()

    def region(self, name: str) -> Locator:
        return self.page.get_by_role("region", name=name, exact=True)

    @property
    def log(self) -> Locator:
        return self.page.get_by_role("log", name="Conversation")

    def last_alexa(self) -> str:
        return self.log.locator(".alexa").last.inner_text()

    def rendered_screen(self) -> Locator:
        """The APL renderer's view; fails if the screen fell back to plain text."""
        screen = self.region("Screen")
        assert screen.locator("#screen").get_attribute("data-rendered") == "apl", (
            screen.inner_text()
        )
        return screen.locator("#apl-view")

    def screenshot(self, folder: Path, name: str) -> None:
        self.page.screenshot(path=str(folder / name))


@pytest.fixture
def console(shared_page: Page, console_url: str) -> Iterator[Console]:
    page = Console(shared_page).open(console_url)
    yield page
    page.close()
    assert page.errors == [], page.errors  # no script error in the page, whatever was shown


# ------------------------------------------------------------------ the tests


@pytest.mark.slow  # a browser and a server
def test_a_one_shot_itchy_legs_check_in_reaches_its_advice(
    console: Console, screenshots: Path
) -> None:
    console.choose(device="speaker", locale="en-US")
    console.say(*ITCHY_LEGS)
    log = console.log.inner_text()
    assert "You: ask leg check my legs are itchy after my run" in log
    assert "First, a safety check." in log
    assert "the ordinary itch or tingle many runners get" in console.last_alexa()
    assert "Keep moving gently for a few minutes to cool down." in console.last_alexa()
    assert "Alexa only speaks" in console.region("Screen").inner_text()  # an Echo Dot
    assert ITCH_TITLE in console.region("Card").inner_text()  # the Alexa app's card
    console.screenshot(screenshots, "console-speaker.png")


@pytest.mark.slow  # a browser and a server
def test_an_emergency_in_en_gb_shows_999_in_speech_card_and_screen(console: Console) -> None:
    console.choose(device="show", locale="en-GB")
    console.say("ask leg check i have chest pain")
    speech = console.last_alexa()
    assert "Call 999 now" in speech
    assert "911" not in speech
    card = console.region("Card").inner_text()
    assert "999" in card
    assert "999" in console.rendered_screen().inner_text()


@pytest.mark.slow  # a browser and a server
@pytest.mark.parametrize(
    ("device", "shot"), [("show", "console-echo-show.png"), ("round", "console-round.png")]
)
def test_the_screen_is_drawn_by_the_apl_renderer_with_the_advice(
    console: Console, screenshots: Path, device: str, shot: str
) -> None:
    console.choose(device=device, locale="en-US")
    console.say(*ITCHY_LEGS)
    view = console.rendered_screen()
    shown = view.inner_text()
    assert ITCH_TITLE in shown
    assert ITCH_STEP in shown
    assert console.region("Screen").locator(".plain-screen").count() == 0
    size = view.evaluate("v => [v.style.width, v.style.height]")  # the device's own viewport
    assert size == (["1024px", "600px"] if device == "show" else ["480px", "480px"])
    if device == "round":  # clipped to a circle, as an Echo Spot's screen is
        assert view.evaluate("v => getComputedStyle(v).borderRadius") == "50%"
    console.screenshot(screenshots, shot)


@pytest.mark.slow  # a browser and a server
def test_without_the_renderer_the_screen_is_plain_text_with_a_note_saying_how_to_install_it(
    shared_page: Page, console_url: str
) -> None:
    renderer = "**/console/static/apl-viewhost-web.js"
    shared_page.route(renderer, lambda route: route.fulfill(status=404, body="missing\n"))
    try:
        console = Console(shared_page).open(console_url)
        console.choose(device="show", locale="en-GB")
        console.say("ask leg check i have chest pain")
        screen = console.region("Screen")
        assert screen.locator("#screen").get_attribute("data-rendered") == "plain"
        assert "Call 999 now" in screen.locator(".plain-screen").inner_text()
        assert "scripts/setup" in screen.inner_text()
        console.close()
    finally:
        shared_page.unroute(renderer)


@pytest.mark.slow  # a browser and a server
def test_the_json_panes_show_the_resolved_intent(console: Console) -> None:
    console.choose(device="show", locale="en-US")
    console.say("ask leg check my legs are itchy after my run", "no")
    request = console.region("Request JSON")
    response = console.region("Response JSON")
    assert '"name": "AMAZON.NoIntent"' in request.inner_text()
    assert '"type": "IntentRequest"' in request.inner_text()
    assert "Has it eased off now that you've cooled down?" in response.inner_text()
    assert "AMAZON.NoIntent" in console.log.locator(".resolution").nth(1).inner_text()
    # an earlier turn's JSON on demand, and copied as it is shown
    console.log.get_by_role("button", name="Show this turn's JSON").first.click()
    assert '"type": "IntentRequest"' in request.inner_text()
    assert "First, a safety check." in response.inner_text()
    request.get_by_role("button", name="Copy").click()
    copied = json.loads(console.page.evaluate("navigator.clipboard.readText()"))
    assert copied["request"]["type"] == "IntentRequest"
    assert copied["session"]["new"] is True
    # the pane folds away
    request.locator("summary").click()
    assert not request.locator("pre").is_visible()


@pytest.mark.slow  # a browser and a server
def test_a_replay_file_runs_to_the_end_with_every_expectation_met(console: Console) -> None:
    console.page.get_by_label("Replay file (ask dialog JSON or YAML)").set_input_files(
        CONVERSATIONS / "post_run_itch.yaml"
    )
    console.idle()
    replay = console.region("Replay")
    steps = replay.locator("#steps > li")
    assert steps.count() == 5
    replay.get_by_role("button", name="Run to end").click()
    console.idle()
    outcomes = [steps.nth(i).get_attribute("data-met") for i in range(steps.count())]
    assert outcomes == ["true"] * 5, replay.inner_text()
    shown = replay.inner_text()
    assert "✓ met" in shown
    assert "✗" not in shown
    assert (
        "done, 5 of 5 steps with every expectation met"
        in console.page.locator("#status").inner_text()
    )
    assert "the ordinary itch or tingle many runners get" in console.log.inner_text()
    # the session saved as an `ask dialog --replay` file holds what was said
    with console.page.expect_download() as download:
        replay.get_by_role("link", name="Save replay").click()
    saved = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert saved["userInput"][:5] == ["open leg check", "my legs are itchy", "no", "yes", "no"]


@pytest.mark.slow  # a browser and a server
def test_an_expectation_not_met_is_shown_with_what_came(console: Console, tmp_path: Path) -> None:
    script = tmp_path / "wrong_advice.yaml"
    script.write_text(
        "description: chest pain, wrongly expected to be sent to a podiatrist\n"
        "turns:\n"
        "  - user: ask leg check i have chest pain\n"
        "    expect: {speech_contains: see a podiatrist}\n",
        encoding="utf-8",
    )
    console.page.get_by_label("Replay file (ask dialog JSON or YAML)").set_input_files(script)
    console.idle()
    replay = console.region("Replay")
    replay.get_by_role("button", name="Step").click()
    console.idle()
    step = replay.locator("#steps > li").first
    assert step.get_attribute("data-met") == "false"
    shown = step.inner_text()
    assert "✗ not met: speech_contains: see a podiatrist" in shown
    assert "Call 911 now" in shown  # what came


@pytest.mark.slow  # a browser and a server
def test_the_session_controls_work_the_reminder_loop_memory_and_clock(console: Console) -> None:
    console.choose(device="speaker", locale="en-US")
    session = console.region("Session")
    state = session.locator("#state")
    console.say("ask leg check my calves are twitching", "no", "yes", "yes")
    assert "asks the runner to grant Leg Check the reminders permission" in console.last_alexa()
    consent = session.locator("#consent")
    assert consent.is_visible()  # Alexa asks for the permission: the runner's answer
    consent.get_by_role("button", name="Accepted").click()
    console.idle()
    assert "Okay, I'll remind you tomorrow" in console.last_alexa()
    assert not consent.is_visible()
    assert "Time to check in on your legs" in state.inner_text()  # the reminder received
    assert "low_electrolytes" in state.inner_text()  # remembered, as the runner agreed
    clock = state.locator("dt:text-is('Clock') + dd").inner_text()
    session.get_by_role("button", name="Move the clock a day").click()
    console.idle()
    assert state.locator("dt:text-is('Clock') + dd").inner_text() > clock
    session.get_by_role("button", name="Clear memory").click()
    console.idle()
    assert "deleted" in console.page.locator("#status").inner_text()
    assert "nothing kept" in state.inner_text()
    session.get_by_role("button", name="Skill disabled").click()
    console.idle()
    assert "SkillDisabled" in console.log.locator(".resolution").last.inner_text()


def _focused(page: Page) -> str:
    """The focused control, named as a person would: its label or its text."""
    name: str = page.evaluate(
        """() => {
          const e = document.activeElement;
          if (!e || e === document.body) return "";
          const label = e.labels && e.labels[0];
          return (label ? label.textContent : e.textContent || e.getAttribute("aria-label") ||
                  e.tagName).trim();
        }"""
    )
    return name


@pytest.mark.slow  # a browser and a server
def test_keyboard_only_use_works(console: Console) -> None:
    page = console.page
    keyboard = page.keyboard
    # Tab to the device picker and choose the Echo Show with the arrow keys
    while _focused(page) != "Device":
        keyboard.press("Tab")
    keyboard.press("Home")  # the first device, then one down: the Echo Show
    keyboard.press("ArrowDown")
    console.idle()
    assert page.get_by_label("Device", exact=True).input_value() == "show"
    # Tab to the utterance box, type, Enter sends
    while _focused(page) != "Utterance":
        keyboard.press("Tab")
    keyboard.type("ask leg check i have chest pain")
    keyboard.press("Enter")
    console.idle()
    assert "Call 911 now" in console.last_alexa()
    assert "911" in console.rendered_screen().inner_text()
    # every control is reached by Tab, none holds the focus (not the rendered screen either),
    # and the focus is visible on each
    seen: list[str] = []
    for _ in range(80):
        keyboard.press("Tab")
        name = _focused(page)
        if name:
            seen.append(name)
            outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
            assert outline != "none", f"no visible focus on {name!r}"
        if seen.count("Utterance") == 2:
            break
    assert seen.count("Utterance") == 2, f"the focus did not come round again: {seen}"
    for control in (
        "Send",
        "Read aloud",
        "Device",
        "Locale",
        "New session",
        "Clear memory",
        "Move the clock a day",
        "Skill enabled",
        "Skill disabled",
        "Grant",
        "Deny",
        "Test to replay",
        "Load",
        "Replay file (ask dialog JSON or YAML)",
        "Save replay",
        "SSML",
        "Show this turn's JSON",
        "Copy",
    ):
        assert control in seen, f"{control!r} is not reached by Tab: {seen}"
    # a session control by keyboard: Enter on "New session"
    while _focused(page) != "New session":
        keyboard.press("Tab")
    keyboard.press("Enter")
    console.idle()
    assert "New session" in page.locator("#status").inner_text()


# ------------------------------------------------------------------ contrast (no browser)

TEXT_PAIRS = [  # (text colour, the background it is shown on)
    ("--fg", "--bg"),
    ("--fg", "--panel"),
    ("--fg", "--code-bg"),
    ("--muted", "--bg"),
    ("--muted", "--panel"),
    ("--accent-fg", "--accent"),
    ("--you", "--panel"),
    ("--alexa", "--panel"),
    ("--ok", "--panel"),
    ("--bad", "--panel"),
    ("--bad", "--bg"),
    ("--screen-fg", "--screen-bg"),
]
NON_TEXT_PAIRS = [  # borders of controls and the focus ring: WCAG 1.4.11, 3:1
    ("--border", "--bg"),
    ("--border", "--panel"),
    ("--focus", "--bg"),
    ("--focus", "--panel"),
]


@pytest.mark.parametrize(("fg", "bg"), TEXT_PAIRS + NON_TEXT_PAIRS)
def test_the_console_colours_meet_wcag_aa(fg: str, bg: str) -> None:
    colours = css_custom_properties(CONSOLE_CSS.read_text(encoding="utf-8"))
    ratio = contrast_ratio(colours[fg], colours[bg])
    need = 4.5 if (fg, bg) in TEXT_PAIRS else 3.0
    assert ratio >= need, f"{fg} on {bg}: {ratio:.2f}:1, WCAG AA needs {need}:1"


def test_contrast_is_computed_as_wcag_defines_it() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio("rgb(255, 255, 255)", "#ffffff") == pytest.approx(1.0)
