"""Check the locked requirements for known vulnerabilities with pip-audit, honestly.

Usage: ``python scripts/audit_deps.py requirements.txt`` (``make audit-deps`` exports the
requirements from uv.lock first).

pip-audit prints "No known vulnerabilities found" and exits 0 even when it could not look a
single package up (no network, service down): every package is then merely "skipped". This
reads its JSON report instead and says which of three things happened:

- exit 0: every locked package was checked and none has a known vulnerability;
- exit 1: known vulnerabilities (listed);
- exit 2: COULD NOT CHECK some or all packages (never reported as a clean result).
"""

from __future__ import annotations

import json

# Only to run pip-audit from this environment, with fixed arguments and no shell.
import subprocess  # nosec B404
import sys
import tempfile
from pathlib import Path
from typing import Any

OK, VULNERABLE, UNCHECKED = 0, 1, 2
SHOWN = 5


def summarise(report: dict[str, Any]) -> tuple[int, str]:
    """Return the exit status and the message for a pip-audit JSON report."""
    packages = report.get("dependencies") or []
    skipped = [p for p in packages if p.get("skip_reason")]
    vulnerable = [p for p in packages if not p.get("skip_reason") and p.get("vulns")]
    lines: list[str] = []
    for package in vulnerable:
        for vuln in package["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            lines.append(f"  {package['name']} {package['version']}: {vuln['id']} (fix: {fixes})")
    if vulnerable:
        lines.insert(0, f"KNOWN VULNERABILITIES in {len(vulnerable)} locked package(s):")
    if skipped or not packages:
        lines.append(
            f"COULD NOT CHECK {len(skipped)} of {len(packages)} locked package(s): the "
            "vulnerability service did not answer for them. This is not a clean result."
        )
        lines += [f"  {p['name']}: {p['skip_reason']}" for p in skipped[:SHOWN]]
        if len(skipped) > SHOWN:
            lines.append(f"  … and {len(skipped) - SHOWN} more")
    if vulnerable:
        return VULNERABLE, "\n".join(lines)
    if skipped or not packages:
        return UNCHECKED, "\n".join(lines)
    return OK, f"Checked {len(packages)} locked packages: no known vulnerabilities."


def run(requirements: Path) -> tuple[int, str]:
    """Run pip-audit on a requirements file and summarise what it could and could not check."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        command = [
            sys.executable,
            "-m",
            "pip_audit",
            "--requirement",
            str(requirements),
            "--no-deps",
            "--disable-pip",
            "--progress-spinner",
            "off",
            "--format",
            "json",
            "--output",
            str(out),
        ]
        try:
            result = subprocess.run(  # noqa: S603  # nosec B603
                command, capture_output=True, text=True, timeout=600, check=False
            )
        except subprocess.TimeoutExpired:
            return UNCHECKED, "COULD NOT CHECK: pip-audit did not finish in 10 minutes."
        try:
            report = json.loads(out.read_text())
        except (OSError, ValueError):
            errors = [line for line in result.stderr.splitlines() if line.strip()]
            last = errors[-1] if errors else "no output"
            status = result.returncode
            return UNCHECKED, f"COULD NOT CHECK: pip-audit failed (exit {status}): {last}"
    return summarise(report)


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python scripts/audit_deps.py <requirements.txt>")
    status, message = run(Path(sys.argv[1]))
    print(message, file=sys.stderr if status else sys.stdout)
    sys.exit(status)


if __name__ == "__main__":
    main()
