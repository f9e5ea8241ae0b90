"""Validators: the real tools (promtool, amtool, nginx, python) run on an output directory.

Each check returns Findings; a missing binary raises ToolMissingError (never a silent skip).
The checked directory is only read: temp files go to the system's temp dir, links are not
followed, and a malformed, unreadable or special file is a finding about it, never a crash.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from mongen import layout
from mongen.checked_files import check_entries, load_yaml, read_text, regular_files
from mongen.errors import Finding, ToolMissingError
from mongen.tool_cache import PassCache, go_glob

# Binary -> Debian package that ships it.
PACKAGES = {
    "promtool": "prometheus",
    "amtool": "prometheus-alertmanager",
    "nginx": "nginx-light",
    "prometheus": "prometheus",
    "prometheus-alertmanager": "prometheus-alertmanager",
    "vmagent": "victoria-metrics",
    "vmalert": "victoria-metrics",
    "victoria-metrics": "victoria-metrics",
}
TOOL_TIMEOUT = 120


def require(tool: str) -> str:
    path = shutil.which(tool) or (f"/usr/sbin/{tool}" if os.path.exists(f"/usr/sbin/{tool}") else None)
    if path is None:
        raise ToolMissingError(tool, PACKAGES[tool])
    return path


def _run(
    args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=TOOL_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(args, 124, "", f"timed out after {TOOL_TIMEOUT}s")


def _tool_finding(rel: str, check: str, proc: subprocess.CompletedProcess[str]) -> list[Finding]:
    if proc.returncode == 0:
        return []
    text = (proc.stdout + proc.stderr).strip()
    return [Finding(rel, 1, 1, "error", check, f"{Path(proc.args[0]).name} failed:\n{text}")]


def promtool_supports_kubernetes() -> bool:
    """Debian's prometheus package is built without Kubernetes service discovery."""
    return _supports_kubernetes(require("promtool"))


@functools.cache
def _supports_kubernetes(promtool: str) -> bool:
    """Asked once per promtool and run (several prometheus.yml, or validate after generate)."""
    with tempfile.TemporaryDirectory(prefix="mongen-k8s-probe-") as tmp:
        probe = Path(tmp, "p.yml")
        probe.write_text("scrape_configs:\n- job_name: p\n  kubernetes_sd_configs:\n  - role: pod\n")
        return _run([promtool, "check", "config", str(probe)]).returncode == 0


def _check_config(promtool: str, path: Path, text: str) -> subprocess.CompletedProcess[str]:
    """`promtool check config` on `text` as if it were `path`: written into a temp dir that links
    to `path`'s siblings (rule files, file_sd lists), so the checked directory is only read."""
    with tempfile.TemporaryDirectory(prefix="mongen-config-") as tmp:
        for sibling in path.parent.iterdir():
            if sibling.name != path.name:
                os.symlink(sibling.absolute(), Path(tmp, sibling.name))  # a relative DIR would dangle
        Path(tmp, path.name).write_text(text)
        return _run([promtool, "check", "config", path.name], cwd=Path(tmp))


def check_prometheus_config(root: Path) -> list[Finding]:
    findings: list[Finding] = []
    promtool = require("promtool")
    unchecked: list[str] = []  # configs whose kubernetes_sd_configs this promtool cannot check
    for path in regular_files(root, layout.PROMETHEUS_CONFIGS_GLOB):
        rel = str(path.relative_to(root))
        text = read_text(root, path, "promtool-config")
        if isinstance(text, Finding):
            findings.append(text)
            continue
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            data = None  # promtool reports it below
        jobs = data.get("scrape_configs") if isinstance(data, dict) else None
        jobs = [job for job in jobs if isinstance(job, dict)] if isinstance(jobs, list) else []
        if any("kubernetes_sd_configs" in job for job in jobs) and not promtool_supports_kubernetes():
            unchecked.append(rel)
            for job in jobs:
                job.pop("kubernetes_sd_configs", None)
            text = yaml.safe_dump(data, sort_keys=False)
        findings += _tool_finding(rel, "promtool-config", _check_config(promtool, path, text))
    if unchecked:  # once per run, however many configs
        findings.append(no_kubernetes_sd_finding(unchecked))
    return findings


NO_KUBERNETES_SD = "promtool-no-kubernetes-sd"


def no_kubernetes_sd_finding(files: list[str]) -> Finding:
    others = f" (and {len(files) - 1} more prometheus.yml)" if len(files) > 1 else ""
    return Finding(
        files[0],
        1,
        1,
        "warning",
        NO_KUBERNETES_SD,
        f"this promtool (Debian's build) has no Kubernetes service discovery, so `kubernetes_sd_configs`{others} "
        "was not checked by it; everything else was. The PodMonitor under kubernetes/ is the checked way to "
        f'scrape on Kubernetes. To silence this, add to the project config: [checks] {NO_KUBERNETES_SD} = "off" '
        "in mongen.toml, or [tool.mongen.checks] in pyproject.toml",
    )


def check_rules(root: Path) -> list[Finding]:
    promtool = require("promtool")
    files = regular_files(root, layout.RULES_GLOB)
    if not files:
        return [Finding(layout.RULES_DIR, 1, 1, "error", "promtool-rules", "no rule files found")]
    proc = _run([promtool, "check", "rules", *(str(f.relative_to(root)) for f in files)], cwd=root)
    return _tool_finding(layout.RULES_DIR, "promtool-rules", proc)


def check_kubernetes_rules(root: Path) -> list[Finding]:
    """The rules inside a PrometheusRule (or the VictoriaMetrics operator's VMRule) go through
    `promtool check rules` like the plain files."""
    promtool = require("promtool")
    findings: list[Finding] = []
    for path in regular_files(root, layout.KUBERNETES_GLOB):
        manifest, problem = load_yaml(root, path, "promtool-rules")
        if problem:
            findings.append(problem)
            continue
        if not isinstance(manifest, dict) or manifest.get("kind") not in ("PrometheusRule", "VMRule"):
            continue
        spec = manifest.get("spec")
        groups = spec.get("groups", []) if isinstance(spec, dict) else []
        with tempfile.TemporaryDirectory(prefix="mongen-promrule-") as tmp:
            rules = Path(tmp, path.name)
            rules.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
            findings += _tool_finding(
                str(path.relative_to(root)), "promtool-rules", _run([promtool, "check", "rules", str(rules)])
            )
    return findings


RULE_TEST_RUN = "promtool-test-rules"
# promtool test processes are short-lived and run one per CPU: Go's default (GC at 100% heap growth,
# parallel GC workers on every CPU) spends ~25% of their CPU collecting. GOGC=400 and one Go
# thread each cut that (measured on the showcase specs' tests: 2.6 -> 1.9 s CPU, peak RSS
# ~65 -> ~140 MB per process). A user's own GOGC/GOMAXPROCS win.
_RULE_TEST_GO_ENV = {"GOGC": "400", "GOMAXPROCS": "1"}


def path_argument(path: Path) -> str:
    """`path` as a tool's argument: a relative name starting with `-` would be read as an option."""
    text = str(path)
    return f"./{text}" if text.startswith("-") else text


def rule_test_inputs(test: Path) -> list[tuple[str, bytes]] | None:
    """What `promtool test rules` reads for `test`: the test file and the rule files it names
    (globs and paths relative to the test, as promtool resolves them). None when that cannot be
    told, and then the test is never taken from the cache."""
    try:
        content = test.read_bytes()
        doc = yaml.safe_load(content)
        names = doc.get("rule_files") if isinstance(doc, dict) else None
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            return None
        inputs = [("test", content)]
        for name in names:
            matches = go_glob(os.path.join(test.parent, name))
            if not matches:
                return None
            # Named relative to the test: generate validates in a fresh temporary directory each run.
            inputs += [(f"rules:{os.path.relpath(m, test.parent)}", Path(m).read_bytes()) for m in matches]
        return inputs
    except (OSError, ValueError, yaml.YAMLError):
        return None


def promtool_test(test: Path, cache: PassCache) -> subprocess.CompletedProcess[str] | None:
    """`promtool test rules` on one test file, run in its directory; None when the same bytes
    passed before (tool_cache)."""
    promtool = require("promtool")
    inputs = rule_test_inputs(test)
    key = cache.key(RULE_TEST_RUN, promtool, inputs) if inputs is not None else None
    if key is not None and cache.passed(RULE_TEST_RUN, key):
        return None
    proc = _run(
        [promtool, "test", "rules", path_argument(Path(test.name))],
        cwd=test.parent,
        env={**_RULE_TEST_GO_ENV, **os.environ},
    )
    # A file changed while promtool ran: the pass may be for the old bytes, or a mix.
    if key is not None and proc.returncode == 0 and rule_test_inputs(test) == inputs:
        cache.remember(RULE_TEST_RUN, key)
    return proc


def run_rule_tests(tests: list[Path], cache: PassCache) -> dict[Path, subprocess.CompletedProcess[str] | None]:
    """Every test file in parallel (one promtool per CPU), the largest first so that the slowest
    test does not start last; each result as promtool_test's."""
    ordered = sorted(tests, key=lambda t: -t.stat().st_size)
    from concurrent.futures import ThreadPoolExecutor  # here: `generate --no-validate` never needs it

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = dict(zip(ordered, pool.map(lambda t: promtool_test(t, cache), ordered), strict=True))
    return {test: results[test] for test in tests}


def check_rule_tests(root: Path, cache: PassCache | None = None) -> list[Finding]:
    files = regular_files(root, layout.RULE_TESTS_GLOB)
    results = run_rule_tests(files, cache or PassCache(None))
    return [
        finding
        for path, proc in results.items()
        if proc is not None
        for finding in _tool_finding(str(path.relative_to(root)), "promtool-test", proc)
    ]


RouteCase = tuple[dict[str, str], list[str]]


def _route_cases(root: Path, path: Path) -> tuple[list[RouteCase], Finding | None]:
    """The routing cases of routes.test.yml: `cases: [{labels: {name: value}, receivers: [name]}]`."""
    data, problem = load_yaml(root, path, "amtool-routes")
    if problem:
        return [], problem
    cases = data.get("cases") if isinstance(data, dict) else None
    out: list[RouteCase] = []
    for case in cases if isinstance(cases, list) else [None]:
        labels = case.get("labels") if isinstance(case, dict) else None
        receivers = case.get("receivers") if isinstance(case, dict) else None
        if not (
            isinstance(labels, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items())
            and isinstance(receivers, list)
            and all(isinstance(r, str) for r in receivers)
        ):
            message = "expected `cases:` as a list of {labels: {name: value}, receivers: [receiver names]}"
            return [], Finding(str(path.relative_to(root)), 1, 1, "error", "amtool-routes", message)
        out.append((labels, receivers))
    return out, None


def check_alertmanager(root: Path) -> list[Finding]:
    amtool = require("amtool")
    config = root / layout.ALERTMANAGER_CONFIG
    if not config.exists():
        return []
    rel = str(config.relative_to(root))
    findings = _tool_finding(rel, "amtool-config", _run([amtool, "check-config", str(config)]))
    cases_file = root / layout.ROUTES_TEST
    if findings or not cases_file.is_file() or cases_file.is_symlink():
        return findings
    cases, problem = _route_cases(root, cases_file)
    if problem:
        return [problem]
    for case_labels, receivers in cases:
        labels = [f"{k}={v}" for k, v in case_labels.items()]
        expect = ",".join(receivers)
        proc = _run(
            [amtool, "config", "routes", "test", f"--config.file={config}", f"--verify.receivers={expect}", *labels]
        )
        if proc.returncode != 0:
            findings.append(
                Finding(
                    str(cases_file.relative_to(root)),
                    1,
                    1,
                    "error",
                    "amtool-routes",
                    f"alert {' '.join(labels)} should reach {expect}, amtool says: {(proc.stdout + proc.stderr).strip()}",
                )
            )
    return findings


# How each VictoriaMetrics binary checks its flags without serving: vmagent and vmalert load their
# configs and rules and exit; victoria-metrics has no dry run, but parses every flag before `-version`
# exits (an unknown or malformed one fails).
_VM_DRY_RUN = {"vmagent": "-dryRun", "vmalert": "-dryRun", "victoria-metrics": "-version"}


def flag_arguments(text: str) -> list[str]:
    """A flags file's arguments: every line that is not blank or a comment."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def check_victoriametrics(root: Path) -> list[Finding]:
    """When the tree has VictoriaMetrics files: vmagent's strict parser on vmagent.yml, vmalert's
    dry run on every rule file, and each binary's flags file through that binary (run in the
    output directory, where the flags' relative paths point)."""
    configs = regular_files(root, layout.VMAGENT_CONFIGS_GLOB)
    flag_files = regular_files(root, layout.engine_flags(layout.VICTORIAMETRICS_DIR, "*"))
    if not configs and not flag_files:
        return []
    findings: list[Finding] = []
    vmagent, vmalert = require("vmagent"), require("vmalert")
    for config in configs:
        proc = _run([vmagent, "-dryRun", "-promscrape.config.strictParse=true", f"-promscrape.config={config}"])
        findings += _tool_finding(str(config.relative_to(root)), "vmagent-config", proc)
    rules = regular_files(root, layout.RULES_GLOB)
    proc = _run([vmalert, "-dryRun", *(f"-rule={path_argument(r.relative_to(root))}" for r in rules)], cwd=root)
    findings += _tool_finding(layout.RULES_DIR, "vmalert-rules", proc)
    for path in flag_files:
        binary = path.name.removesuffix(".flags")
        rel = str(path.relative_to(root))
        if binary not in _VM_DRY_RUN:
            findings.append(Finding(rel, 1, 1, "error", "vm-flags", f"no VictoriaMetrics binary is named {binary}"))
            continue
        text = read_text(root, path, "vm-flags")
        if isinstance(text, Finding):
            findings.append(text)
            continue
        proc = _run([require(binary), _VM_DRY_RUN[binary], *flag_arguments(text)], cwd=root)
        findings += _tool_finding(rel, "vm-flags", proc)
    return findings


def check_mimir(root: Path) -> list[Finding]:
    """Mimir's files with the tools here (no Mimir runs): each namespace's groups through `promtool
    check rules`, the remote_write block through `promtool check config` (it is a valid
    prometheus.yml by itself), each tenant's Alertmanager config through `amtool check-config`."""
    findings: list[Finding] = []
    for path in regular_files(root, layout.MIMIR_RULES_GLOB):
        rel = str(path.relative_to(root))
        doc, problem = load_yaml(root, path, "mimir-rules")
        if problem:
            findings.append(problem)
            continue
        if not isinstance(doc, dict) or not isinstance(doc.get("namespace"), str) or not doc["namespace"]:
            findings.append(Finding(rel, 1, 1, "error", "mimir-rules", "expected `namespace:` (a name) and `groups:`"))
            continue
        with tempfile.TemporaryDirectory(prefix="mongen-mimir-") as tmp:
            rules = Path(tmp, "rules.yml")
            rules.write_text(yaml.safe_dump({"groups": doc.get("groups")}, sort_keys=False))
            findings += _tool_finding(rel, "mimir-rules", _run([require("promtool"), "check", "rules", str(rules)]))
    for path in regular_files(root, layout.MIMIR_REMOTE_WRITE_GLOB):
        proc = _check_config(require("promtool"), path, path.read_text("utf-8", errors="replace"))
        findings += _tool_finding(str(path.relative_to(root)), "mimir-remote-write", proc)
    for path in regular_files(root, layout.MIMIR_ALERTMANAGER_GLOB):
        proc = _run([require("amtool"), "check-config", str(path)])
        findings += _tool_finding(str(path.relative_to(root)), "mimir-alertmanager", proc)
    return findings


def nginx_test(snippet: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on a minimal nginx.conf that includes the snippet inside `http {}`."""
    nginx = require("nginx")
    with tempfile.TemporaryDirectory(prefix="mongen-nginx-") as tmp:
        conf = Path(tmp, "nginx.conf")
        conf.write_text(nginx_conf(Path(tmp), snippet))
        return _run([nginx, "-t", "-q", "-e", "stderr", "-p", tmp, "-c", str(conf)])


NGINX_SNIPPET_COPY = "mongen-snippet.conf"


def nginx_conf(prefix: Path, snippet: Path, extra_http: str = "") -> str:
    """A minimal nginx.conf, to be written as `prefix`/nginx.conf and run with `-p prefix`, that
    includes the snippet inside `http {}`. The snippet is copied into `prefix` under a fixed name,
    and every path in the text is relative (to the prefix, or for `include` to the directory of
    nginx.conf, which is the same): a path written into the text would need nginx's quoting, and
    a project path with a space, `;` or `{` would break the file or add directives to it."""
    shutil.copyfile(snippet, prefix / NGINX_SNIPPET_COPY)
    temp = "\n".join(f"    {d}_temp_path {d};" for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (
        # One process (no master and worker): verify's children die with mongen by a death signal,
        # which a worker would not get (it would stay, re-parented to init, on a SIGKILLed run).
        "pid nginx.pid;\nerror_log stderr;\ndaemon off;\nmaster_process off;\nevents { worker_connections 64; }\n"
        f"http {{\n    access_log off;\n{temp}\n{extra_http}    include {NGINX_SNIPPET_COPY};\n}}\n"
    )


def check_nginx(root: Path) -> list[Finding]:
    findings = []
    for snippet in regular_files(root, layout.NGINX_GLOB):
        findings += _tool_finding(str(snippet.relative_to(root)), "nginx-t", nginx_test(snippet))
    return findings


def check_grafana(root: Path) -> list[Finding]:
    from mongen.dashboard_checks import dashboard_problems

    findings = []
    for path in regular_files(root, layout.DASHBOARDS_GLOB):
        rel = str(path.relative_to(root))
        text = read_text(root, path, "grafana-json")
        if isinstance(text, Finding):
            findings.append(text)
            continue
        try:
            dashboard = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            line, col, msg = (
                (exc.lineno, exc.colno, exc.msg)
                if isinstance(exc, json.JSONDecodeError)
                else (1, 1, "nested too deeply")
            )
            findings.append(Finding(rel, line, col, "error", "grafana-json", f"invalid JSON: {msg}"))
            continue
        findings += [
            Finding(rel, 1, 1, "error", "grafana-dashboard", problem) for problem in dashboard_problems(dashboard)
        ]
    return findings


_IMPORT_CHECK = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("generated_metrics", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
from prometheus_client import generate_latest
text = generate_latest(module.REGISTRY).decode()
assert text, "the registry exposes nothing"
"""


def check_instrumentation(root: Path) -> list[Finding]:
    findings = []
    for path in regular_files(root, layout.INSTRUMENTATION_GLOB):
        rel = str(path.relative_to(root))
        source = read_text(root, path, "python-compile")
        if isinstance(source, Finding):
            findings.append(source)
            continue
        try:
            compile(source, rel, "exec")
        except SyntaxError as exc:
            findings.append(Finding(rel, exc.lineno or 1, exc.offset or 1, "error", "python-compile", str(exc.msg)))
            continue
        except ValueError as exc:  # NUL bytes (Python < 3.12)
            findings.append(Finding(rel, 1, 1, "error", "python-compile", str(exc)))
            continue
        # -B: importing must not leave a __pycache__ in the checked (or staging) directory.
        proc = _run([sys.executable, "-B", "-c", _IMPORT_CHECK, str(path)])
        findings += _tool_finding(rel, "python-import", proc)
    return findings


CHECKS: tuple[Callable[[Path], list[Finding]], ...] = (
    check_entries,
    check_prometheus_config,
    check_rules,
    check_kubernetes_rules,
    check_rule_tests,
    check_alertmanager,
    check_victoriametrics,
    check_mimir,
    check_nginx,
    check_grafana,
    check_instrumentation,
)


REQUIRED_TOOLS = ("promtool", "amtool", "nginx")
CheckDone = Callable[[str, float], None]


def validate_dir(
    root: Path, *, cache: PassCache | None = None, on_check_done: CheckDone | None = None
) -> list[Finding]:
    """Run every check at once (they are independent; promtool's rule tests take most of the time,
    the rest run beside them). Tools are looked up first so a missing one fails before any work.
    `cache` (default: from the environment, see tool_cache) lets unchanged rule tests pass without
    promtool; `on_check_done(name, seconds)` hears of each check as it finishes."""
    for tool in REQUIRED_TOOLS:
        require(tool)
    cache = cache if cache is not None else PassCache.from_environment()

    def timed(check: Callable[[Path], list[Finding]]) -> list[Finding]:
        start = time.perf_counter()
        run = (lambda r: check_rule_tests(r, cache)) if check is check_rule_tests else check
        findings = _guarded(run, root)
        if on_check_done is not None:
            on_check_done(check.__name__.removeprefix("check_"), time.perf_counter() - start)
        return findings

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(CHECKS)) as pool:
        results = list(pool.map(timed, CHECKS))
    return [finding for result in results for finding in result]


def _guarded(check: Callable[[Path], list[Finding]], root: Path) -> list[Finding]:
    """A file or folder the OS will not let a check read is a finding about it, not a crash."""
    try:
        return check(root)
    except OSError as exc:
        where = Path(exc.filename) if isinstance(exc.filename, str) else root
        rel = str(where.relative_to(root)) if where.is_relative_to(root) else str(where)
        return [Finding(rel, 1, 1, "error", "read", f"cannot read it: {exc.strerror or exc}")]
