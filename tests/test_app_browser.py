"""The models' pages in a real browser: Debian's Chromium, headless, driven by Playwright
(the Python package).

Each test starts ``solara run`` on an app (as ``crowdsim app`` does) on a free 127.0.0.1
port, loads the page, steps the model, changes controls and resets, and checks that the
views change (the PNG bytes the server sent, hashed in the browser), that a reset with the
same seed and controls draws the same picture again, that two browser sessions have two
models, and that play runs at a measured pace. Screenshots land in the test's temporary
folder and in ``results/app-screenshots/`` (git-ignored).

It skips, saying why, when Chromium or the playwright package is missing: ``make test``
installs Debian's ``chromium`` with apt-get when it runs as root, and playwright with the
test extra.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from sim import app as launcher

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CROWDSIM_CHROMIUM", "/usr/bin/chromium")
#: Chromium's flags on this kind of machine: no sandbox (root), no GPU, and no background
#: connections (the network is closed; without these Chromium keeps trying to reach Google).
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
SCREENSHOTS = REPO / "results" / "app-screenshots"
TIMEOUT_MS = 60_000  # one page load or one update

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="the playwright Python package is not installed (pip install -e '.[test]')")

if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
    pytest.skip(f"Debian's chromium is not installed ({CHROMIUM} missing) and could not be "
                f"installed here: `make test` runs `apt-get install -y chromium` only as root "
                f"with apt-get (see scripts/ensure-chromium.sh)", allow_module_level=True)

#: What each cell of a page's grid shows: three views, then the line of numbers.
VIEWS, SUMMARY = (0, 1, 2), 3

_SHA256_OF_IMAGE = """async (img) => {
    const bytes = await (await fetch(img.src)).arrayBuffer();
    const digest = await crypto.subtle.digest("SHA-256", bytes);
    return Array.from(new Uint8Array(digest)).map(b => b.toString(16).padStart(2, "0")).join("");
}"""


def _serve(name: str):
    """Serve app ``name`` on a free 127.0.0.1 port for a fixture; always stopped afterwards."""
    process, url = launcher.start(name, "127.0.0.1", 0, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
    try:
        try:
            launcher.wait_until_serving(url, process, timeout=120)
        except launcher.ServerError as exc:
            launcher.stop(process)
            pytest.fail(f"{exc}\n{process.stdout.read()}")
        yield url
    finally:
        launcher.stop(process)
        if process.stdout:
            process.stdout.close()


@pytest.fixture(scope="module")
def server():
    """The estimation app served on a free 127.0.0.1 port."""
    yield from _serve("estimation")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def _new_page(browser):
    """A page in a browser context of its own: its own cookies, so its own session."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


@pytest.fixture
def browser_page(browser):
    page = _new_page(browser)
    try:
        yield page
    finally:
        page.context.close()


class Page:
    """A model's page, as a user sees and uses it."""

    def __init__(self, page, shots: list[Path]):
        self.page = page
        self.shots = shots

    def load(self, url: str) -> None:
        self.page.goto(url)
        for index in VIEWS:
            self.cell(index).locator("img").wait_for()
        self.wait_for_step(0)

    def cell(self, index: int):
        return self.page.locator(".vue-grid-item").nth(index)

    def image_hash(self, index: int) -> str:
        """SHA-256 of the PNG shown in a grid cell (as the server sent it).

        A redraw replaces the image's blob URL and frees the old one, so a read that races
        a redraw fails to fetch: read again."""
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while True:
            try:
                return self.cell(index).locator("img").evaluate(_SHA256_OF_IMAGE)
            except sync_api.Error:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def images(self) -> dict[int, str]:
        return {i: self.image_hash(i) for i in VIEWS}

    def settled_images(self) -> dict[int, str]:
        """The images once two reads half a second apart agree (no redraw under way)."""
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        now = self.images()
        while True:
            time.sleep(0.5)
            again = self.images()
            if again == now or time.monotonic() > deadline:
                return again
            now = again

    def summary(self) -> str:
        return self.cell(SUMMARY).inner_text()

    def step_now(self) -> int:
        """The step the page says the model is at (the line under the title)."""
        text = self.page.locator(".crowdsim-step").inner_text()
        return int(re.search(r"step (\d+)", text).group(1))

    def wait_for_step(self, step: int) -> None:
        """Wait until the line under the title and the summary both show ``step``."""
        self.page.locator(".crowdsim-step").get_by_text(
            re.compile(rf"^now: step {step}\b")).wait_for()
        self.cell(SUMMARY).get_by_text(f"Step {step}", exact=True).wait_for()

    def step_to(self, step: int) -> None:
        """Press Step until the page shows ``step``."""
        for n in range(self.step_now() + 1, step + 1):
            self.click("Step")
            self.wait_for_step(n)

    def wait_for_images_other_than(self, before: dict[int, str]) -> dict[int, str]:
        """Wait until every image differs from ``before``; returns the new hashes."""
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while True:
            now = self.images()
            if all(now[i] != before[i] for i in before) or time.monotonic() > deadline:
                return now
            time.sleep(0.2)

    def wait_for_images(self, expected: dict[int, str]) -> dict[int, str]:
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while True:
            now = self.images()
            if now == expected or time.monotonic() > deadline:
                return now
            time.sleep(0.2)

    def click(self, name: str) -> None:
        self.page.get_by_role("button", name=name, exact=True).click()

    def select(self, label: str, option: str) -> None:
        field = self.page.get_by_label(label, exact=True)  # Vuetify's input, under its slot
        field.locator("xpath=ancestor::div[contains(@class, 'v-select__slot')]").click()
        self.page.get_by_role("option", name=option, exact=True).click()
        self.page.keyboard.press("Escape")

    def type_seed(self, seed: int | str) -> None:
        box = self.page.get_by_label("Seed", exact=True)
        box.fill(str(seed))
        box.press("Enter")

    def reset_with_seed(self, seed: int) -> None:
        """Type ``seed``, press Reset and wait for step 0 of what the seed draws."""
        self.type_seed(seed)
        self.click("Reset")
        self.wait_for_step(0)
        self.page.get_by_text(f"seed {seed}", exact=False).first.wait_for()

    def slider(self, label: str):
        return self.page.get_by_role("slider", name=label, exact=True)

    def slider_shows(self, label: str, text: str) -> bool:
        """Whether the value written next to the slider ``label`` becomes ``text`` (it
        follows the slider after a round trip to the server)."""
        row = self.slider(label).locator(
            "xpath=ancestor::div[contains(concat(' ', normalize-space(@class), ' '), "
            "' v-input ')][1]/parent::div")
        try:
            row.locator(".crowdsim-slider-value", has_text=re.compile(rf"^{re.escape(text)}$"))\
                .wait_for(timeout=10_000)
        except sync_api.TimeoutError:
            return False
        return True

    def nudge_slider(self, label: str, presses: int) -> str:
        slider = self.slider(label)
        slider.focus()
        for _ in range(abs(presses)):  # negative: to the left
            slider.press("ArrowRight" if presses > 0 else "ArrowLeft")
        return slider.get_attribute("aria-valuenow")

    def screenshot(self, tmp_path: Path, name: str) -> None:
        path = tmp_path / name
        self.page.screenshot(path=path, full_page=True)
        self.shots.append(path)


def _drive_keeping_screenshots(drive, browser_page, url: str, tmp_path: Path, *args) -> None:
    """Run ``drive(app, url, tmp_path, *args)`` on the page; its screenshots are copied to
    SCREENSHOTS afterwards, also when it fails."""
    shots: list[Path] = []
    try:
        drive(Page(browser_page, shots), url, tmp_path, *args)
    finally:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for shot in shots:
            shutil.copy2(shot, SCREENSHOTS / shot.name)


# ---------------------------------------------------------------------------------------------
# the estimation page


def test_page_steps_and_controls_change_the_views(server, browser_page, tmp_path):
    _drive_keeping_screenshots(_drive, browser_page, server, tmp_path)


def _drive(app: Page, url: str, tmp_path: Path) -> None:
    page = app.page
    app.load(url)
    assert page.get_by_role("button", name="Step", exact=True).is_enabled()
    start = app.settled_images()
    assert len(set(start.values())) == 3, "the three views should be different pictures"
    assert "60 agents" in app.summary() and "small world" in app.summary()
    # a title, not Mesa's "Page 0" tab; every slider shows its value
    assert page.locator(".crowdsim-page-title").inner_text().startswith("Crowd estimation")
    assert page.get_by_role("tab").count() == 0
    assert app.slider_shows("Agents", "60")
    assert app.slider_shows("Social weight w", "0.30")
    assert app.slider_shows("Noise scale", "4.6%")
    app.screenshot(tmp_path, "01-loaded.png")

    # one step = one round of revision: every view changes
    app.click("Step")
    app.wait_for_step(1)
    stepped = app.wait_for_images_other_than(start)
    for index in VIEWS:
        assert stepped[index] != start[index], f"view {index} did not change after a step"
    app.step_to(3)
    app.screenshot(tmp_path, "02-three-steps.png")

    # change controls, then Reset: a star whose hub is a biased influencer
    app.select("Topology (with network neighbours)", "star (agent 0 the hub)")
    app.select("Influencer", "a biased hub (announces truth + 10 %)")
    weight = app.nudge_slider("Social weight w", 4)  # 0.30 -> 0.50
    assert abs(float(weight) - 0.5) < 1e-9, weight
    assert app.slider_shows("Social weight w", "0.50")  # the server has it
    app.click("Reset")
    app.wait_for_step(0)
    page.get_by_text("topology: star (agent 0 the hub)", exact=False).wait_for()
    app.wait_for_images_other_than(start)
    star = app.settled_images()
    for index in VIEWS:
        assert star[index] != start[index], f"view {index} did not change with the controls"
    assert "social weight 0.50" in app.summary()
    assert "influencer: a biased hub" in app.summary()
    app.screenshot(tmp_path, "03-star-biased-hub.png")

    # the biased hub pulls the crowd: the error of the mean grows step by step
    app.step_to(3)
    text = app.summary()
    error = float(text.split("error of the mean ")[1].split(" lb")[0])
    assert error > 20, f"a +10 % hub should pull the mean away from the truth: {text}"
    app.screenshot(tmp_path, "04-star-biased-hub-three-steps.png")

    # another seed draws another crowd; the same seed and controls draw the same one again
    app.reset_with_seed(7)
    seven = app.wait_for_images_other_than(star)
    assert seven[0] != star[0]
    app.screenshot(tmp_path, "05-seed-7.png")
    app.reset_with_seed(42)
    again = app.wait_for_images(star)
    assert again == star, "a reset with the same seed and controls should draw the same crowd"

    # text that is no seed: the page stays, says so, and uses the default seed
    app.type_seed("4x")
    app.click("Reset")
    page.get_by_text("seed: must be a whole number >= 0; got '4x'", exact=False).wait_for()
    assert app.wait_for_images(star) == star
    app.step_to(1)
    app.screenshot(tmp_path, "06-bad-seed.png")

    # the communities: four groups, each with its own error, joined by a few bridges
    app.select("Topology (with network neighbours)",
               "4 communities, each sharing an error")
    app.select("Influencer", "none")
    app.click("Reset")
    app.wait_for_step(0)
    page.get_by_text("bridge share 0.05", exact=False).wait_for()
    app.step_to(2)
    app.screenshot(tmp_path, "07-communities.png")


def test_two_browser_sessions_have_two_models(server, browser, tmp_path):
    """A new visitor starts at step 0 of a crowd of their own, not at another's step."""
    first, second = Page(_new_page(browser), []), Page(_new_page(browser), [])
    try:
        first.load(server)
        first.step_to(3)
        before = first.settled_images()
        second.load(server)
        assert second.step_now() == 0, "a new session must not open at another's step"
        assert "Step 0" in second.summary()
        second.step_to(1)
        assert first.step_now() == 3, "another session's Step must not move this model"
        assert first.settled_images() == before
        # and a control changed in one session stays there
        second.nudge_slider("Agents", 10)
        assert second.slider_shows("Agents", "70")
        second.click("Reset")
        second.page.get_by_text("70 agents", exact=False).wait_for()
        first.step_to(4)
        assert "60 agents" in first.summary()
        first.screenshot(tmp_path, "08-session-one.png")
        second.screenshot(tmp_path, "08-session-two.png")
    finally:
        for app in (first, second):
            app.page.context.close()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for shot in first.shots + second.shots:
            shutil.copy2(shot, SCREENSHOTS / shot.name)


def test_play_runs_two_hundred_agents_at_a_measured_pace(server, browser_page, record_property):
    """Play with 200 agents: the steps per second the page reaches, drawing every step
    (recorded as a test property; on an idle two-core machine about 10, on a busy one
    less, so the test only asserts that play and pause work)."""
    app = Page(browser_page, [])
    app.load(server)
    assert app.nudge_slider("Agents", 140) == "200"
    assert app.slider_shows("Agents", "200")  # the server has it
    app.click("Reset")
    app.page.get_by_text("200 agents", exact=False).wait_for()
    first = app.step_now()
    app.click("▶")
    began = time.monotonic()
    time.sleep(8)
    # paused before reading: on a loaded machine a page redrawing every step can keep the
    # step text detached for longer than the locator waits
    app.click("❚❚")
    elapsed = time.monotonic() - began
    time.sleep(1)  # a step in flight when pause was clicked
    played = app.step_now() - first
    rate = played / elapsed
    record_property("steps_per_second_200_agents", round(rate, 2))
    print(f"play with 200 agents: {rate:.1f} steps per second")
    assert played >= 5, f"play advanced only {played} steps in 8 s"
    paused = app.step_now()
    time.sleep(1.5)
    assert app.step_now() == paused, "pause should stop the steps"


# ---------------------------------------------------------------------------------------------
# the nest-site page


@pytest.fixture(scope="module")
def nest_site_server():
    """The nest-site app served on a free 127.0.0.1 port."""
    yield from _serve("nest-site")


def test_nest_site_page_steps_and_controls_change_the_views(nest_site_server, browser_page,
                                                            tmp_path):
    _drive_keeping_screenshots(_drive_nest_site, browser_page, nest_site_server, tmp_path)


def _assert_all_changed(now: dict[int, str], before: dict[int, str], why: str) -> None:
    for index in VIEWS:
        assert now[index] != before[index], f"view {index} did not change {why}"


def _drive_nest_site(app: Page, url: str, tmp_path: Path) -> None:
    page = app.page
    app.load(url)
    start = app.settled_images()
    assert len(set(start.values())) == 3, "the three views should be different pictures"
    summary = app.summary()
    assert "200 scouts" in summary and "λ 0.80" in summary and "no quorum" in summary
    app.screenshot(tmp_path, "nest-site-01-loaded.png")

    # one step: scouts find sites and dance; every view changes
    app.click("Step")
    app.wait_for_step(1)
    one = app.wait_for_images_other_than(start)  # each view redraws once per step
    _assert_all_changed(one, start, "after a step")
    app.step_to(3)
    app.screenshot(tmp_path, "nest-site-02-three-steps.png")

    # less interdependence and a quorum of 40, then Reset: another swarm
    lam = app.nudge_slider("Interdependence λ", -6)
    assert abs(float(lam) - 0.5) < 1e-9, lam
    assert app.slider_shows("Interdependence λ", "0.50")
    quorum = app.nudge_slider("Quorum (0: none)", 8)
    assert quorum == "40" and app.slider_shows("Quorum (0: none)", "40")
    app.click("Reset")
    app.wait_for_step(0)
    app.cell(SUMMARY).get_by_text("λ 0.50", exact=False).wait_for()
    assert "quorum 40" in app.summary()
    app.step_to(1)
    other = app.settled_images()
    _assert_all_changed(other, one, "with other controls (both after one step)")

    # play until a site has 40 dancers: the swarm decides and the page stops stepping
    app.click("▶")
    decided = app.cell(SUMMARY).get_by_text("quorum 40 reached at step", exact=False)
    decided.wait_for()
    assert "chosen" in decided.inner_text()
    step_button = page.get_by_role("button", name="Step", exact=True)
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while step_button.is_enabled() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not step_button.is_enabled(), "Step should be disabled once the swarm decided"
    assert "stopped" in page.locator(".crowdsim-step").inner_text()
    assert app.settled_images() != other
    app.screenshot(tmp_path, "nest-site-03-quorum-reached.png")

    # two equal sites and no quorum: the legends and bars name two sites, from step 0 on
    app.select("Sites (qualities)", "two equal: 10 and 10")
    assert app.nudge_slider("Quorum (0: none)", -8) == "0"
    assert app.slider_shows("Quorum (0: none)", "0")
    app.click("Reset")
    app.wait_for_step(0)
    app.cell(SUMMARY).get_by_text("sites 10, 10", exact=False).wait_for()
    assert "no quorum" in app.summary()
    _assert_all_changed(app.wait_for_images_other_than(start), start,
                        "with two sites instead of five")
    assert page.get_by_role("button", name="Step", exact=True).is_enabled()
    app.step_to(3)
    app.screenshot(tmp_path, "nest-site-04-two-equal-sites.png")


# ---------------------------------------------------------------------------------------------
# the majority-vote, cascades and cumulative-advantage pages

#: App -> (a word of its title, a slider and the value it shows at first).
NEW_PAGES = {
    "majority-vote": ("Condorcet", "Competence p", "0.60"),
    "cascades": ("cascades", "Signal precision p", "0.60"),
    "cumulative-advantage": ("MusicLab", "Social weight s", "1.0"),
}


@pytest.fixture(scope="module", params=sorted(NEW_PAGES))
def new_page_server(request):
    """Each of the newer pages served on a free 127.0.0.1 port, in turn."""
    for url in _serve(request.param):
        yield request.param, url


@pytest.mark.slow  # three servers and a browser; the pages' models are tested in test_app.py
def test_newer_pages_step_reset_and_redraw(new_page_server, browser_page, tmp_path):
    name, url = new_page_server
    _drive_keeping_screenshots(_drive_new_page, browser_page, url, tmp_path, name)


def _drive_new_page(app: Page, url: str, tmp_path: Path, name: str) -> None:
    word, slider, shown = NEW_PAGES[name]
    app.load(url)
    assert word in app.page.locator(".crowdsim-page-title").inner_text()
    assert app.slider_shows(slider, shown)
    start = app.settled_images()
    assert len(set(start.values())) == 3, "the three views should be different pictures"
    app.step_to(3)
    stepped = app.wait_for_images_other_than(start)
    assert stepped != start
    app.screenshot(tmp_path, f"{name}-01-three-steps.png")
    app.click("▶")
    # ten steps on, or the end (a short cascade sequence may end first)
    app.page.locator(".crowdsim-step").get_by_text(
        re.compile(r"step (1\d|[2-9]\d|\d{3,})|stopped")).wait_for()
    pause = app.page.get_by_role("button", name="❚❚", exact=True)
    if pause.is_enabled():
        pause.click()
        app.page.get_by_role("button", name="▶", exact=True).wait_for()
    app.screenshot(tmp_path, f"{name}-02-played.png")
    app.reset_with_seed(42)
    assert app.wait_for_images(start) == start, "the same seed should draw the same start"
