"""axe-core in the browser journeys: `assert_accessible(page, "what the page shows")` runs
axe-core (vendored under tests/e2e/vendor/axe-core, served from the repository, no CDN) on the
page as it stands and fails listing every serious or critical violation.

The pages send `Content-Security-Policy: script-src 'self'`, which blocks the inline
`<script>` that `page.add_script_tag(path=...)` would add (and logs a CSP error the journeys'
`console_errors` would catch). So the library is evaluated through the DevTools protocol
(`page.evaluate`), which a page's CSP does not govern; it defines `window.axe` as a script
tag would, and leaves nothing in the console.
"""

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page

AXE_JS = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = frozenset({"serious", "critical"})
TARGETS_SHOWN = 4

# All of axe's rules but the experimental ones (its default), violations only: passes and
# incomplete results are what make a run slow on a large page.
RUN_AXE = """async () => {
    const results = await axe.run(document, {resultTypes: ["violations"]});
    return results.violations.map(v => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        helpUrl: v.helpUrl,
        nodes: v.nodes.map(n => ({
            target: n.target.map(t => Array.isArray(t) ? t.join(" >>> ") : t).join(" "),
            impact: n.impact,
            data: [...n.any, ...n.all, ...n.none]
                .map(c => c.data)
                .filter(d => d && d.contrastRatio),
        })),
    }));
}"""


@cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page: "Page") -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now, of every impact."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    return page.evaluate(RUN_AXE)


def _describe(violation: dict[str, Any]) -> str:
    nodes = [n for n in violation["nodes"] if n["impact"] in FAILING_IMPACTS]
    lines = [f"- {violation['id']} ({violation['impact']}, {len(nodes)}×): {violation['help']}"]
    for node in nodes[:TARGETS_SHOWN]:
        line = f"    {node['target']}"
        for data in node["data"]:
            line += (
                f"  [{data.get('fgColor')} on {data.get('bgColor')}: "
                f"{data.get('contrastRatio')}:1, needs {data.get('expectedContrastRatio')}]"
            )
        lines.append(line)
    if len(nodes) > TARGETS_SHOWN:
        lines.append(f"    … and {len(nodes) - TARGETS_SHOWN} more")
    return "\n".join(lines)


def serious_violations(page: "Page") -> list[dict[str, Any]]:
    """The violations a person would be stopped by: serious or critical on some element."""
    return [
        v
        for v in axe_violations(page)
        if any(node["impact"] in FAILING_IMPACTS for node in v["nodes"])
    ]


def assert_accessible(page: "Page", label: str) -> None:
    """Fail unless axe-core finds no serious or critical violation on the page as it stands.

    `label` names the page state in the failure message ("booking page with slots")."""
    violations = serious_violations(page)
    if violations:
        report = "\n".join(_describe(v) for v in violations)
        raise AssertionError(
            f"axe-core: {len(violations)} serious or critical violation(s) on {label} "
            f"({page.url}):\n{report}"
        )
