"""An automated accessibility check for the browser tests: axe-core (vendored
in tests/vendor/axe-core, used only here, never served) run in the page.

The site's Content-Security-Policy forbids inline scripts, so the script is
not added as a <script> element (Playwright's add_script_tag(path=...) inserts
its content inline, which the policy blocks): it is evaluated through the
DevTools protocol (page.evaluate), which runs in the page's main world and is
not subject to the page's policy.
"""

from functools import cache
from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"

# The rules of WCAG 2.0, 2.1 and 2.2 at levels A and AA, plus axe's best
# practices (landmarks, one main heading, …).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

RUN = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                           resultTypes: ["violations"]});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(" ")),
    summary: v.nodes.length ? v.nodes[0].failureSummary : "",
  }));
}"""


@cache
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(page, *, impacts=("serious", "critical"), targets: int = 3) -> list[str]:
    """The page's axe violations of these impacts, each as one readable line:
    rule, impact, what it asks for, and the first `targets` elements at fault."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source() + "\n;undefined")
    found = []
    for violation in page.evaluate(RUN, TAGS):
        if violation["impact"] not in impacts:
            continue
        where = violation["targets"]
        more = f" (+{len(where) - targets} more)" if len(where) > targets else ""
        why = " ".join(violation["summary"].split())[:240]
        found.append(f"{violation['id']} [{violation['impact']}] {violation['help']}: "
                     f"{', '.join(where[:targets])}{more} ({why})")
    return found
