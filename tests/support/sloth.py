"""Traffic scenarios for comparing mongen's burn-rate alerts with the rules Sloth defines for the
same SLO (tests/data/sloth/), and the promtool test that runs one: each (mongen, Sloth) alert pair
must fire in the same minutes."""

from __future__ import annotations

from typing import Any

from tests.support import ROOT

SLOTH_DATA = ROOT / "tests/data/sloth"
SLOTH_RULES = "availability-30d-28d.rules.yml"
# Requests a minute: the 0.09333332% case needs whole failed requests (9,333,332 of 10^10).
PER_MINUTE = 10**10
# (mongen's alert, Sloth's alert) for the same SLO and severity.
ALERTS = (
    ("TtsMonthErrorBudgetBurnPage", "SlothMonthPage"),
    ("TtsMonthErrorBudgetBurnTicket", "SlothMonthTicket"),
    ("TtsFourWeeksErrorBudgetBurnPage", "SlothFourWeeksPage"),
    ("TtsFourWeeksErrorBudgetBurnTicket", "SlothFourWeeksTicket"),
)
ALL = frozenset(sloth for _, sloth in ALERTS)

# name -> ((minutes, error ratio) phases, Sloth alerts that fire at some minute). Every scenario
# lasts a different number of minutes: promtool names a failed expression by its time only.
SCENARIOS: dict[str, tuple[list[tuple[int, float]], frozenset[str]]] = {
    "constant 1.5% (15x: every alert)": ([(60, 0.015)], ALL),
    # 5.8x: above 28d's 5.6 page factor, below 30d's 6.
    "constant 0.58%": ([(61, 0.0058)], frozenset({"SlothFourWeeksPage", "SlothMonthTicket", "SlothFourWeeksTicket"})),
    # 0.95x: above 28d's 0.9333 ticket factor, below 30d's 1.
    "constant 0.095%": ([(62, 0.00095)], frozenset({"SlothFourWeeksTicket"})),
    # Just under 28d's exact 0.9333...x: a factor rounded to 0.933333 (as mongen's once was) tickets here.
    "constant 0.09333332%": ([(63, 0.0009333332)], frozenset()),
    # 54 minutes at 1.65% page under Sloth's rules and never under a `for: 2m` (as mongen's once had).
    "54m burst at 1.65%": ([(120, 0.0), (54, 0.0165), (60, 0.0)], ALL),
    "10m burst at 10%": ([(60, 0.0), (10, 0.1), (120, 0.0)], ALL),
    # 1,666,667 more failed requests each minute: no window's ratio lands exactly on a threshold,
    # where mongen's exact budget (0.001) and Sloth's float one (0.0009999999999999432) part.
    "ramp to 2% over 2h": ([(1, i * 1_666_667 / PER_MINUTE) for i in range(1, 121)], ALL),
}


def _counter(phases: list[tuple[int, float]]) -> tuple[str, str]:
    errors, oks = [0], [0]
    for minutes, ratio in phases:
        failed = round(ratio * PER_MINUTE)
        for _ in range(minutes):
            errors.append(errors[-1] + failed)
            oks.append(oks[-1] + PER_MINUTE - failed)
    return " ".join(map(str, errors)), " ".join(map(str, oks))


def _firing(alert: str) -> str:
    return f'clamp_max(count(ALERTS{{alertname="{alert}",alertstate="firing"}}) or vector(0), 1)'


def scenario_test(
    name: str,
    phases: list[tuple[int, float]],
    fires: frozenset[str],
    alerts: tuple[tuple[str, str], ...] = ALERTS,
    series: str = "tts_requests_total",
    labels: str = "",
) -> dict[str, Any]:
    """A promtool test of one scenario: each (mongen, Sloth) alert pair fires in the same minutes,
    and Sloth's alerts fire exactly when `fires` says; the traffic is `series` with `labels`
    (`job="x",`) and a `code` label."""
    minutes = sum(m for m, _ in phases)
    errors, oks = _counter(phases)
    window = f"[{minutes}m:1m]"
    exprs: list[dict[str, Any]] = [
        {
            # minutes in which exactly one of the two is firing
            "expr": f"sum_over_time(({_firing(mongen)} != bool {_firing(sloth)}){window})",
            "eval_time": f"{minutes}m",
            "exp_samples": [{"labels": "{}", "value": 0}],
        }
        for mongen, sloth in alerts
    ]
    exprs += [
        {
            "expr": f'clamp_max(count_over_time(count(ALERTS{{alertname="{sloth}",alertstate="firing"}}){window}), 1)',
            "eval_time": f"{minutes}m",
            "exp_samples": [{"labels": "{}", "value": 1}] if sloth in fires else [],
        }
        for _, sloth in alerts
    ]
    return {
        "name": name,
        "interval": "1m",
        "input_series": [
            {"series": f'{series}{{{labels}code="500"}}', "values": errors},
            {"series": f'{series}{{{labels}code="200"}}', "values": oks},
        ],
        "promql_expr_test": exprs,
    }
