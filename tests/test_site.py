"""The published site: every page built, internal links resolve, Colab buttons right, and pages load in a browser.

The ``site`` fixture builds the book as the README does (``jupyter-book build . -W -n
--keep-going``). Executed chapters are cached in ``_build/.jupyter_cache``, so when the
book was just built (as CI does before the tests) this takes seconds.

The browser tests serve ``_build/html`` on localhost and open every page in headless
Chromium (Debian's ``chromium`` package, driven by Playwright) at a phone's width (390 px)
and a laptop's (1366 px). MathJax is served from a local copy (npm ``mathjax@3``) in place of
its CDN, so that the tests can see every formula render, and axe-core (npm ``axe-core``)
audits each page's accessibility; ``.ci/run`` installs both into ``.ci/browser``. A test is
skipped, with the reason, where Chromium or one of the two packages is missing.
"""

import functools
import http.server
import json
import re
import shutil
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest
import yaml

pytestmark = pytest.mark.book

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NODE = ROOT / ".ci" / "browser" / "node_modules"
AXE = NODE / "axe-core" / "axe.min.js"
MATHJAX = NODE / "mathjax" / "es5"
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/"
WIDTHS = (390, 1366)  # a phone, a laptop
CODE_WIDTH = 88  # characters a code cell shows without scrolling in the content column


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
def site(build_lock, build_book):
    with build_lock:
        build = build_book(ROOT, timeout=1500)
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
def test_colab_buttons_open_this_chapter_and_its_student_edition(site, chapter):
    repo, branch = urlparse(CONFIG["repository"]["url"]).path.strip("/"), CONFIG["repository"]["branch"]
    name = chapter.split("/", 1)[1]
    expected = [f"https://colab.research.google.com/github/{repo}/blob/{branch}/{chapter}.ipynb",
                f"https://colab.research.google.com/github/{repo}/blob/{branch}/student/{name}.ipynb"]
    colab = [link for link in parse(site / f"{chapter}.html").links if "colab.research.google.com" in link]
    assert colab == expected, f"{chapter}: Colab links {colab}"
    assert (ROOT / "student" / f"{name}.ipynb").exists()


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


PROBE = r"""
() => {
  const main = document.querySelector("main") || document.body;
  // Is el cut off: wider than an ancestor that hides overflow, or than the screen, with no
  // scrolling box between them (a box that scrolls lets the reader see all of it)?
  function cut(el) {
    const r = el.getBoundingClientRect();
    if (el.scrollWidth > el.clientWidth + 1 && ["hidden", "clip"].includes(getComputedStyle(el).overflowX)) {
      return true;
    }
    for (let n = el.parentElement; n && n !== document.documentElement; n = n.parentElement) {
      const style = getComputedStyle(n);
      if (["auto", "scroll"].includes(style.overflowX)) return false;
      if (["hidden", "clip"].includes(style.overflowX)) {
        const a = n.getBoundingClientRect();
        if (r.right > a.right + 1 || r.left < a.left - 1) return true;
      }
    }
    return r.right > document.documentElement.clientWidth + 1 || r.left < -1;
  }
  const label = el => (el.closest("[id]") || el).id || el.textContent.trim().slice(0, 40);
  const column = (document.querySelector("article.bd-article") || main).getBoundingClientRect().width;

  const equations = [...main.querySelectorAll('mjx-container[display="true"]')];
  const article = document.querySelector("article.bd-article") || main;
  const figures = [...article.querySelectorAll("img")].map(img => {
    const figure = img.closest("figure");
    const caption = figure && figure.querySelector("figcaption");
    return {src: img.getAttribute("src"), alt: img.getAttribute("alt") || "",
            caption: caption ? caption.innerText.trim() : "", natural: img.naturalWidth, shown: img.clientWidth,
            width: parseFloat(img.style.width || img.getAttribute("width") || "0"), cut: cut(img),
            aspect: img.naturalHeight ? (img.clientHeight / img.clientWidth) / (img.naturalHeight / img.naturalWidth) : 1};
  });
  const title = document.querySelector(".logo__title");
  const visible = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  return {
    title: document.title,
    heading: (main.querySelector("h1") || {innerText: ""}).innerText,
    column,
    equations: equations.length,
    clipped_equations: equations.filter(cut).map(label),
    cut_tables: [...main.querySelectorAll("table")].filter(cut).map(label),
    wide_tables: [...main.querySelectorAll("table")].filter(t => t.getBoundingClientRect().width > column + 1)
                   .map(label),
    sideways: document.documentElement.scrollWidth > window.innerWidth + 1,
    figures,
    raw_tex_links: [...document.querySelectorAll("a")].map(a => a.innerText).filter(t => /\\[A-Za-z]+/.test(t)),
    math_errors: document.querySelectorAll("mjx-merror").length,
    unrendered_math: [...main.querySelectorAll(".math")].filter(m => !m.querySelector("mjx-container"))
                       .map(m => m.textContent.slice(0, 40)),
    raw_delimiters: /\\\(|\\\[/.test(main.innerText),
    colab_links: document.querySelectorAll("a[href*='colab.research.google.com']").length,
    book_titles: [...document.querySelectorAll("h1, p, a, span")].filter(e => visible(e) &&
                   e.childElementCount === 0 && e.textContent.trim() === document.title.split(" — ").pop().trim()).length,
    title_clipped: title ? title.scrollWidth > title.clientWidth + 1 : false,
  };
}
"""


def open_page(browser, server, page, width):
    """A browser tab showing ``page`` at ``width``, MathJax (served locally) done; problems collected on it."""
    tab = browser.new_page(viewport={"width": width, "height": 900})
    tab.problems = []
    tab.on("pageerror", lambda error: tab.problems.append(f"JavaScript error {error}"))
    tab.on("console", lambda msg: tab.problems.append(f"console {msg.type}: {msg.text}")
           if msg.type in ("error", "warning") else None)
    tab.on("requestfailed", lambda request: tab.problems.append(f"request for {request.url} failed")
           if request.url.startswith(server) else None)
    tab.route(MATHJAX_CDN + "**", lambda route: route.fulfill(path=str(MATHJAX / route.request.url[len(MATHJAX_CDN):])))
    tab.goto(urljoin(server, f"{page}.html"), wait_until="load")
    if tab.locator("script[src*='mathjax']").count():
        tab.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30_000)
        tab.evaluate("() => MathJax.startup.promise")
    return tab


@pytest.fixture(scope="session")
def rendered(site, server, browser):
    """For every page at both widths: what PROBE measures, axe-core's violations, the problems seen."""
    if not MATHJAX.is_dir():
        pytest.skip(f"no local MathJax at {MATHJAX} (.ci/run installs it: npm install --prefix .ci/browser mathjax@3)")
    results = {}
    for page in PAGES:
        for width in WIDTHS:
            tab = open_page(browser, server, page, width)
            result = tab.evaluate(PROBE)
            if AXE.exists():
                tab.add_script_tag(path=str(AXE))
                result["axe"] = tab.evaluate(
                    "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                    ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))")
            if page == SHOWCASE:
                tab.screenshot(path=str(site.parent / f"screenshot_{Path(page).name}_{width}.png"), full_page=False)
            result["problems"] = list(tab.problems)
            results[page, width] = result
            tab.close()
    return results


SHOWCASE = "chapters/06_regularization"  # screenshots of this chapter go to _build/ for a person to look at


def report(rendered, check):
    found = [f"{page} at {width} px: {item}" for (page, width), result in rendered.items() for item in check(page, width, result)]
    assert not found, "\n".join(found)


def test_every_page_loads_in_a_browser(site, rendered):
    def check(page, width, r):
        heading = r["heading"].strip().rstrip("#").strip()
        if not r["title"].strip() or heading.split(". ", 1)[-1] not in r["title"]:
            yield f"title {r['title']!r} does not name the page heading {heading!r}"
        yield from (f"image {f['src']} did not load" for f in r["figures"] if not f["natural"])
        yield from r["problems"]
        if page in CHAPTERS:
            if r["equations"] + len(r["unrendered_math"]) == 0:
                yield "no math"
            if not r["figures"]:
                yield "no figures"
            if r["colab_links"] != 2:  # the chapter and its student edition
                yield f"{r['colab_links']} Colab links"

    report(rendered, check)
    for width in WIDTHS:
        assert (site.parent / f"screenshot_{Path(SHOWCASE).name}_{width}.png").stat().st_size > 10_000


def test_every_formula_renders(rendered):
    def check(page, width, r):
        if r["math_errors"]:
            yield f"{r['math_errors']} MathJax errors"
        yield from (f"formula not rendered: {m!r}" for m in r["unrendered_math"])
        if r["raw_delimiters"]:
            yield "raw \\( or \\[ in the text"

    report(rendered, check)


def test_no_display_equation_is_clipped(rendered):
    report(rendered, lambda page, width, r: (f"equation {label} is cut off" for label in r["clipped_equations"]))


def test_pages_fit_the_screen(rendered):
    def check(page, width, r):
        if width == 390 and r["sideways"]:
            yield "the page scrolls sideways"
        yield from (f"table {label} is cut off: it neither fits nor scrolls" for label in r["cut_tables"])
        if width == 1366:
            yield from (f"table {label} is wider than its {r['column']:.0f}-px column" for label in r["wide_tables"])
        if r["title_clipped"]:
            yield "the book title is cut off in the sidebar"
        if page == TOC["root"] and width == 1366 and r["book_titles"] > 2:
            yield f"the book title is shown {r['book_titles']} times"

    report(rendered, check)


def test_figures_have_captions_alt_text_and_2x_pixels(rendered):
    def check(page, width, r):
        for f in r["figures"]:
            name = f["src"].rsplit("/", 1)[-1]
            if not f["caption"]:
                yield f"figure {name} has no caption"
            if len(f["alt"]) < 20 or re.search(r"[0-9a-f]{16}|\.png$", f["alt"]):
                yield f"figure {name} has no descriptive alt text: {f['alt']!r}"
            if width == 1366 and f["natural"] < 1.5 * f["shown"]:
                yield f"figure {name}: {f['natural']} px drawn at {f['shown']} px (needs 1.5x)"
            if width == 1366 and f["width"] and f["shown"] < 0.95 * f["width"]:
                yield f"figure {name} is shrunk from {f['width']:.0f} to {f['shown']} px: design it for the column"
            if f["cut"]:
                yield f"figure {name} is cut off"
            if abs(f["aspect"] - 1) > 0.02:
                yield f"figure {name} is distorted: shown {f['aspect']:.2f} times as tall as its proportions"

    report(rendered, check)


def test_no_raw_tex_in_link_texts(rendered):
    report(rendered, lambda page, width, r: (f"link text {t!r}" for t in r["raw_tex_links"]))


def test_no_serious_accessibility_violations(rendered):
    if not AXE.exists():
        pytest.skip(f"no axe-core at {AXE} (.ci/run installs it: npm install --prefix .ci/browser axe-core@4)")
    report(rendered, lambda page, width, r: (f"axe {v['impact']}: {v['id']} at {v['nodes'][:3]}" for v in r["axe"]
                                             if v["impact"] in ("critical", "serious")))


@pytest.mark.parametrize("which", ["primary", "secondary"])
def test_navigation_opens_on_a_phone(site, server, browser, which):
    """The menu (primary sidebar) and the page contents (secondary) open from their buttons at 390 px."""
    tab = open_page(browser, server, SHOWCASE, 390)
    buttons = tab.locator(f"button.{which}-toggle")
    shown = [i for i in range(buttons.count()) if buttons.nth(i).is_visible()]
    assert len(shown) == 1, f"{len(shown)} visible {which} toggle buttons"
    buttons.nth(shown[0]).click()
    tab.wait_for_timeout(300)
    links = tab.evaluate(f"""() => {{
        const box = document.querySelector('#pst-{which}-sidebar-modal');
        if (!box || !box.open) return 0;
        return [...box.querySelectorAll('a')].filter(a => {{
            const r = a.getBoundingClientRect();
            return r.width > 0 && r.left >= 0 && r.right <= innerWidth;
        }}).length;
    }}""")
    tab.close()
    assert links >= 3, f"the {which} sidebar did not open with its links ({links} visible)"


def notebook_code_lines():
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                for line in "".join(cell["source"]).splitlines():
                    yield path.name, line


def test_code_lines_fit_the_column():
    long = [f"{name}: {len(line)} characters: {line[:60]}..." for name, line in notebook_code_lines()
            if len(line) > CODE_WIDTH]
    assert not long, f"{len(long)} code lines over {CODE_WIDTH} characters:\n" + "\n".join(long)


def test_exercises_are_numbered_per_chapter(site):
    for number, chapter in enumerate(CHAPTERS, start=1):
        text = (site / f"{chapter}.html").read_text(encoding="utf-8")
        found = re.findall(r'<span class="caption-number">Exercise (\d+)\.(\d+) ', text)
        assert found, f"{chapter}: no numbered exercises"
        assert [int(c) for c, _ in found] == [number] * len(found), f"{chapter}: exercises {found}"
        assert [int(k) for _, k in found] == list(range(1, len(found) + 1)), f"{chapter}: exercises {found}"


def test_citations_and_bibliography_use_one_style(site):
    """The text cites "Yeh (1998)" or "(Yeh, 1998)"; the bibliography labels the entry "Yeh, 1998" too."""
    labels = [re.sub(r"<[^>]+>", "", label) for label in re.findall(
        r'<span class="label"><span class="fn-bracket">\[</span>(.*?)<span class="fn-bracket">\]',
        (site / "references.html").read_text(encoding="utf-8"))]
    assert labels and all(re.fullmatch(r"[A-Z][^\d\[\]]*, \d{4}[a-z]?", label) for label in labels), labels
    cited = set()
    for chapter in CHAPTERS:
        text = (site / f"{chapter}.html").read_text(encoding="utf-8")
        cited |= set(re.findall(r'href="\.\./references\.html#[^"]*"[^>]*>([^<]+)</a>', text))
    assert cited
    years = {label.rsplit(", ", 1)[1] for label in labels}
    for citation in cited:  # a textual citation links its year, a parenthetical one "Name, year"
        assert citation in labels or citation in years, f"cited as {citation!r}; the bibliography's labels are {labels}"
