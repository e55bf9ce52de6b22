"""The estimation model's page in a real browser: Debian's Chromium, headless, driven by
Playwright (the Python package).

The test starts ``solara run`` on the app (as ``crowdsim app`` does) on a free 127.0.0.1 port,
loads the page, steps the model, changes controls and resets, and checks that the agent view
and the plots change (the PNG bytes the server sent, hashed in the browser) and that a reset
with the same seed and controls draws the same crowd again. Screenshots land in the test's
temporary folder and in ``results/app-screenshots/`` (git-ignored).

It skips, saying why, when Chromium or the playwright package is missing: ``make test``
installs Debian's ``chromium`` with apt-get when it runs as root, and playwright with the
test extra.
"""

from __future__ import annotations

import os
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
TIMEOUT_MS = 60_000  # one page load or one update; the whole test takes about 20 s

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="the playwright Python package is not installed (pip install -e '.[test]')")

if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
    pytest.skip(f"Debian's chromium is not installed ({CHROMIUM} missing) and could not be "
                f"installed here: `make test` runs `apt-get install -y chromium` only as root "
                f"with apt-get (see scripts/ensure-chromium.sh)", allow_module_level=True)

#: What each cell of the page's grid shows, in the order app.py gives the components.
AGENTS, ERRORS, DIVERSITY, SUMMARY = range(4)

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


@pytest.fixture
def browser_page():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(TIMEOUT_MS)
            yield page
        finally:
            browser.close()


class Page:
    """The app's page, as a user sees and uses it."""

    def __init__(self, page, shots: list[Path]):
        self.page = page
        self.shots = shots

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
        return {i: self.image_hash(i) for i in (AGENTS, ERRORS, DIVERSITY)}

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

    def wait_for_round(self, round_: int) -> None:
        self.cell(SUMMARY).get_by_text(f"Round {round_}", exact=True).wait_for()

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
        """Type ``seed``, press Reset and wait for round 0 of the crowd the seed draws."""
        self.type_seed(seed)
        self.click("Reset")
        self.wait_for_round(0)
        self.page.get_by_text(f"seed {seed}", exact=False).wait_for()

    def nudge_slider(self, label: str, presses: int) -> str:
        slider = self.page.get_by_role("slider", name=label, exact=True)
        slider.focus()
        for _ in range(abs(presses)):  # negative: to the left
            slider.press("ArrowRight" if presses > 0 else "ArrowLeft")
        return slider.get_attribute("aria-valuenow")

    def screenshot(self, tmp_path: Path, name: str) -> None:
        path = tmp_path / name
        self.page.screenshot(path=path, full_page=True)
        self.shots.append(path)


def _drive_keeping_screenshots(drive, browser_page, url: str, tmp_path: Path) -> None:
    """Run ``drive(app, url, tmp_path)`` on the page; its screenshots are copied to
    SCREENSHOTS afterwards, also when it fails."""
    shots: list[Path] = []
    try:
        drive(Page(browser_page, shots), url, tmp_path)
    finally:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for shot in shots:
            shutil.copy2(shot, SCREENSHOTS / shot.name)


def test_page_steps_and_controls_change_the_views(server, browser_page, tmp_path):
    _drive_keeping_screenshots(_drive, browser_page, server, tmp_path)


def _drive(app: Page, url: str, tmp_path: Path) -> None:
    page = app.page
    page.goto(url)
    for index in (AGENTS, ERRORS, DIVERSITY):
        app.cell(index).locator("img").wait_for()
    app.wait_for_round(0)
    assert page.get_by_role("button", name="Step", exact=True).is_enabled()
    start = app.settled_images()
    assert len(set(start.values())) == 3, "the three views should be different pictures"
    assert "60 agents" in app.summary() and "small world" in app.summary()
    app.screenshot(tmp_path, "01-loaded.png")

    # one step = one round of influence: every view changes
    app.click("Step")
    app.wait_for_round(1)
    stepped = app.wait_for_images_other_than(start)
    for index, name in ((AGENTS, "agent view"), (ERRORS, "error plot"),
                        (DIVERSITY, "diversity plot")):
        assert stepped[index] != start[index], f"the {name} did not change after a step"
    page.get_by_text("Time: 1.0").wait_for()
    for round_ in (2, 3):
        app.click("Step")
        app.wait_for_round(round_)
    app.screenshot(tmp_path, "02-three-rounds.png")

    # change controls, then Reset: a star whose hub is a biased influencer
    app.select("Topology (with network neighbours)", "star (agent 0 the hub)")
    app.select("Influencer", "a biased hub (announces truth + 10 %)")
    weight = app.nudge_slider("Social weight w", 4)  # 0.30 -> 0.50
    assert abs(float(weight) - 0.5) < 1e-9, weight
    app.click("Reset")
    app.wait_for_round(0)
    page.get_by_text("topology: star (agent 0 the hub)", exact=False).wait_for()
    app.wait_for_images_other_than(start)
    star = app.settled_images()
    for index, name in ((AGENTS, "agent view"), (ERRORS, "error plot"),
                        (DIVERSITY, "diversity plot")):
        assert star[index] != start[index], f"the {name} did not change with the controls"
    assert "social weight 0.50" in app.summary()
    assert "influencer: a biased hub" in app.summary()
    app.screenshot(tmp_path, "03-star-biased-hub.png")

    # the biased hub pulls the crowd: the error of the mean grows round by round
    for round_ in (1, 2, 3):
        app.click("Step")
        app.wait_for_round(round_)
    text = app.summary()
    error = float(text.split("error of the mean ")[1].split(" lb")[0])
    assert error > 20, f"a +10 % hub should pull the mean away from the truth: {text}"
    app.screenshot(tmp_path, "04-star-biased-hub-three-rounds.png")

    # another seed draws another crowd; the same seed and controls draw the same one again
    app.reset_with_seed(7)
    seven = app.wait_for_images_other_than(star)
    assert seven[AGENTS] != star[AGENTS]
    app.screenshot(tmp_path, "05-seed-7.png")
    app.reset_with_seed(42)
    again = app.wait_for_images(star)
    assert again == star, "a reset with the same seed and controls should draw the same crowd"

    # text that is no seed: the page stays, says so, and uses the default seed
    app.type_seed("4x")
    app.click("Reset")
    page.get_by_text("seed: must be a whole number >= 0; got '4x'", exact=False).wait_for()
    assert app.wait_for_images(star) == star
    app.click("Step")
    app.wait_for_round(1)
    app.screenshot(tmp_path, "06-bad-seed.png")



# ---------------------------------------------------------------------------------------------
# the nest-site page

#: What each cell of the nest-site page's grid shows (sim/models/nest_site/app.py).
SCOUTS, DANCERS, STATES, STEP_SUMMARY = range(4)
NEST_VIEWS = ((SCOUTS, "scout view"), (DANCERS, "dancers-per-site plot"),
              (STATES, "scouts-by-state bars"))


@pytest.fixture(scope="module")
def nest_site_server():
    """The nest-site app served on a free 127.0.0.1 port."""
    yield from _serve("nest-site")


def test_nest_site_page_steps_and_controls_change_the_views(nest_site_server, browser_page,
                                                            tmp_path):
    _drive_keeping_screenshots(_drive_nest_site, browser_page, nest_site_server, tmp_path)


def _wait_for_step(app: Page, step: int) -> None:
    app.cell(STEP_SUMMARY).get_by_text(f"Step {step}", exact=True).wait_for()


def _step_to(app: Page, step: int) -> None:
    """Press Step until the summary shows ``step``."""
    current = int(app.cell(STEP_SUMMARY).inner_text().split("Step ")[1].split()[0])
    for n in range(current + 1, step + 1):
        app.click("Step")
        _wait_for_step(app, n)


def _assert_all_changed(now: dict[int, str], before: dict[int, str], why: str) -> None:
    for index, name in NEST_VIEWS:
        assert now[index] != before[index], f"the {name} did not change {why}"


def _drive_nest_site(app: Page, url: str, tmp_path: Path) -> None:
    page = app.page
    page.goto(url)
    for index, _ in NEST_VIEWS:
        app.cell(index).locator("img").wait_for()
    _wait_for_step(app, 0)
    start = app.settled_images()
    assert len(set(start.values())) == 3, "the three views should be different pictures"
    summary = app.cell(STEP_SUMMARY).inner_text()
    assert "200 scouts" in summary and "λ 0.80" in summary and "no quorum" in summary
    app.screenshot(tmp_path, "nest-site-01-loaded.png")

    # one step: scouts find sites and dance; every view changes
    app.click("Step")
    _wait_for_step(app, 1)
    one = app.wait_for_images_other_than(start)  # each view redraws once per step
    _assert_all_changed(one, start, "after a step")
    page.get_by_text("Time: 1.0").wait_for()
    _step_to(app, 3)
    app.screenshot(tmp_path, "nest-site-02-three-steps.png")

    # less interdependence and a quorum of 40, then Reset: another swarm
    lam = app.nudge_slider("Interdependence λ", -6)
    assert abs(float(lam) - 0.5) < 1e-9, lam
    quorum = app.nudge_slider("Quorum (0: none)", 8)
    assert quorum == "40", quorum
    app.click("Reset")
    _wait_for_step(app, 0)
    app.cell(STEP_SUMMARY).get_by_text("λ 0.50", exact=False).wait_for()
    assert "quorum 40" in app.cell(STEP_SUMMARY).inner_text()
    _step_to(app, 1)
    other = app.settled_images()
    _assert_all_changed(other, one, "with other controls (both after one step)")

    # play until a site has 40 dancers: the swarm decides and the page stops stepping
    app.click("▶")
    decided = app.cell(STEP_SUMMARY).get_by_text("quorum 40 reached at step", exact=False)
    decided.wait_for()
    assert "chosen" in decided.inner_text()
    step_button = page.get_by_role("button", name="Step", exact=True)
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while step_button.is_enabled() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not step_button.is_enabled(), "Step should be disabled once the swarm decided"
    assert app.settled_images() != other
    app.screenshot(tmp_path, "nest-site-03-quorum-reached.png")

    # two equal sites and no quorum: the legends and bars name two sites, from step 0 on
    app.select("Sites (qualities)", "two equal: 10 and 10")
    assert app.nudge_slider("Quorum (0: none)", -8) == "0"
    app.click("Reset")
    _wait_for_step(app, 0)
    app.cell(STEP_SUMMARY).get_by_text("sites 10, 10", exact=False).wait_for()
    assert "no quorum" in app.cell(STEP_SUMMARY).inner_text()
    _assert_all_changed(app.wait_for_images_other_than(start), start,
                        "with two sites instead of five")
    assert page.get_by_role("button", name="Step", exact=True).is_enabled()
    _step_to(app, 3)
    app.screenshot(tmp_path, "nest-site-04-two-equal-sites.png")
