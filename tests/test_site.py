"""The published site: every page built, internal links resolve, Colab buttons right, and pages load in a browser.

The ``site`` fixture builds the book as the README does (``jupyter-book build . -W -n
--keep-going``). Executed chapters are cached in ``_build/.jupyter_cache``, so when the
book was just built (as CI does before the tests) this takes seconds.

The browser test serves ``_build/html`` on localhost and opens every page in headless
Chromium (Debian's ``chromium`` package, driven by Playwright); it is skipped, with the
reason, where no Chromium is installed.
"""

import functools
import http.server
import re
import shutil
import subprocess
import sys
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def toc_pages():
    pages = [TOC["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                pages.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(TOC.get("parts", TOC.get("chapters", [])))
    return pages


PAGES = toc_pages()
CHAPTERS = [p for p in PAGES if p.startswith("chapters/")]


@pytest.fixture(scope="session")
def site():
    build = subprocess.run(
        [sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build", str(ROOT), "-W", "-n",
         "--keep-going"], capture_output=True, text=True, cwd=ROOT, timeout=1500)
    assert build.returncode == 0, "the book does not build:\n" + build.stdout[-4000:] + build.stderr[-4000:]
    return HTML


class Links(HTMLParser):
    """Collects ids, hrefs, image sources and the title of one page."""

    def __init__(self):
        super().__init__()
        self.ids, self.links, self.images, self.title, self._in_title = set(), [], [], "", False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "img" and attrs.get("src"):
            self.images.append(attrs["src"])
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


@functools.lru_cache(maxsize=None)
def parse(path):
    parser = Links()
    parser.feed(Path(path).read_text(encoding="utf-8"))
    return parser


def test_every_page_of_the_table_of_contents_is_built(site):
    for page in PAGES:
        html = site / f"{page}.html"
        assert html.exists(), f"{page} was not built"
        assert parse(html).title.strip(), f"{page} has no title"


def test_internal_links_and_images_resolve(site):
    broken = []
    for page in site.rglob("*.html"):
        if "_static" in page.parts or page.name in ("genindex.html", "search.html"):
            continue
        info = parse(page)
        for ref in info.links + info.images:
            url = urlparse(ref)
            if url.scheme or ref.startswith(("mailto:", "javascript:")):
                continue
            target = page if not url.path else (page.parent / unquote(url.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)}: {ref} (no file)")
            elif url.fragment and target.suffix == ".html" and url.fragment not in parse(target).ids:
                broken.append(f"{page.relative_to(site)}: {ref} (no anchor)")
    assert not broken, "broken internal links:\n" + "\n".join(broken)


def test_no_equation_tag_inside_a_split_environment(site):
    """A $$...$$ block with a top-level \\\\ is wrapped in split, where MathJax rejects \\tag (the equation would not render)."""
    bad = []
    for page in PAGES:
        text = (site / f"{page}.html").read_text(encoding="utf-8")
        for block in re.findall(r"\\begin\{split\}(.*?)\\end\{split\}", text, flags=re.S):
            if "\\tag" in block:
                bad.append(f"{page}: {block.strip()[:80]}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_colab_button_opens_this_chapter_on_main(site, chapter):
    repo = urlparse(CONFIG["repository"]["url"]).path.strip("/")
    expected = f"https://colab.research.google.com/github/{repo}/blob/main/{chapter}.ipynb"
    colab = [link for link in parse(site / f"{chapter}.html").links if "colab.research.google.com" in link]
    assert colab == [expected], f"{chapter}: Colab links {colab}"


@pytest.fixture(scope="session")
def server(site):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        pytest.skip("no Chromium on this machine (CI installs Debian's chromium package)")
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        yield chromium
        chromium.close()


def test_every_page_loads_in_a_browser(site, server, browser):
    problems = []
    for page in PAGES:
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        js_errors, failed_local = [], []
        tab.on("pageerror", lambda error: js_errors.append(str(error)))
        tab.on("requestfailed", lambda request: failed_local.append(request.url)
               if request.url.startswith(server) else None)
        tab.goto(urljoin(server, f"{page}.html"), wait_until="load")
        title = tab.title()
        heading = tab.locator("main h1").first.inner_text()
        images = tab.eval_on_selector_all("main img", "imgs => imgs.map(i => [i.src, i.complete && i.naturalWidth])")
        math = tab.locator("main .math, main mjx-container").count()
        if not title.strip() or heading.strip().rstrip("#").strip() not in title:
            problems.append(f"{page}: title {title!r} does not name the page heading {heading!r}")
        problems += [f"{page}: image {src} did not load" for src, width in images if not width]
        problems += [f"{page}: JavaScript error {e}" for e in js_errors]
        problems += [f"{page}: request for {url} failed" for url in failed_local]
        if page in CHAPTERS:
            if math == 0:
                problems.append(f"{page}: no math markup for MathJax")
            if not images:
                problems.append(f"{page}: no figures")
            colab = tab.locator("a[href*='colab.research.google.com']").count()
            if colab != 1:
                problems.append(f"{page}: {colab} Colab links")
        if page == CHAPTERS[0]:
            tab.screenshot(path=str(site.parent / f"screenshot_{Path(page).name}.png"), full_page=True)
        tab.close()
    assert not problems, "\n".join(problems)
    assert (site.parent / f"screenshot_{Path(CHAPTERS[0]).name}.png").stat().st_size > 10_000
