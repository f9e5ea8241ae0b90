"""`dcgm_frame_buffer`: a GPU's frame buffer (its memory) nearly full, from dcgm-exporter's
series: used / (used + free) per GPU above a threshold. The spec must know those series
(`scrape.exporters` with `exporter: dcgm`, or `external_metrics`): the rule is checked by lint
against the spec like an `expr` alert's (mongen.loading)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from mongen.annotations import LabelRef, ValueRef
from mongen.errors import YamlPath
from mongen.faults import CannotDrive, Fault, FrameBufferFull
from mongen.model import Alert, AlertParams, Spec
from mongen.promql import by_clause
from mongen.rule_types import AlertRule
from mongen.rules.alert_kinds.base import (
    BY_FIELD,
    THRESHOLD_FIELD,
    AlertKind,
    FieldReader,
    SchemaFragment,
    ThresholdLine,
    common_labels,
    dashboard_url,
    extra_description,
    runbook_url,
)
from mongen.synth.cases import AlertCase, threshold_case
from mongen.synth.series import TEST_INSTANCE, series
from mongen.units import format_number
from mongen.vocabulary.dcgm import DCGM_FB_FREE, DCGM_FB_USED

if TYPE_CHECKING:
    from mongen.rules.alert_kinds import AlertKindName

USED, FREE = DCGM_FB_USED, DCGM_FB_FREE
# The job dcgm-exporter is scraped as when the spec declares its series without scraping it.
DEFAULT_JOB = "dcgm-exporter"
# One GPU as dcgm-exporter labels it, for the promtool inputs; its frame buffer in MiB.
_GPU = {"gpu": "0", "UUID": "GPU-00000000-0000-0000-0000-000000000000", "device": "nvidia0", "Hostname": "gpu-node-1"}
_FRAME_BUFFER_MIB = 1000


@dataclass(frozen=True)
class DcgmFrameBufferParams(AlertParams):
    threshold: float  # the used share of the frame buffer, 0.001..0.999
    by: tuple[str, ...] = ()  # dcgm-exporter's labels kept besides job, instance and gpu


class DcgmFrameBuffer(AlertKind[DcgmFrameBufferParams]):
    name: ClassVar[AlertKindName] = "dcgm_frame_buffer"
    params_type = DcgmFrameBufferParams
    fields: ClassVar[dict[str, SchemaFragment]] = {"threshold": THRESHOLD_FIELD, "by": BY_FIELD}
    required = ("threshold",)
    reads_external: ClassVar[bool] = True
    lint_hint: ClassVar[str] = (
        "scrape dcgm-exporter under `scrape.exporters` with `exporter: dcgm`, or declare its series in external_metrics"
    )

    @staticmethod
    def _keep(p: DcgmFrameBufferParams) -> tuple[str, ...]:
        return ("job", "instance", "gpu", *(label for label in p.by if label not in ("job", "instance", "gpu")))

    def read(self, reader: FieldReader, body: dict[str, Any], path: YamlPath) -> DcgmFrameBufferParams:
        threshold = body["threshold"]
        if not 0.001 <= threshold <= 0.999:
            reader.fail(
                (*path, "threshold"),
                f"the frame buffer's used share is a fraction, so the threshold must lie between 0.001 and 0.999 "
                f"(0.95 is 95%; closer to 1 no reading is both under it and a full frame buffer); "
                f"got {threshold:g}",
            )
        return DcgmFrameBufferParams(threshold, tuple(body.get("by", [])))

    def threshold_lines(self, alert: Alert) -> tuple[ThresholdLine, ...]:
        """On the GPU row's frame-buffer panel (the row is drawn for it)."""
        p = self.params(alert)
        return (ThresholdLine("gpu_frame_buffer", p.threshold, None, p.by),)

    def rule(self, spec: Spec, alert: Alert) -> AlertRule:
        p = self.params(alert)
        threshold = p.threshold
        share = f"{USED} / ({USED} + {FREE})"
        return AlertRule(
            name=alert.name,
            expr=f"max {by_clause(self._keep(p))} ({share}) > {format_number(threshold)}",
            for_seconds=alert.for_seconds,
            labels=common_labels(spec, alert),
            summary=("GPU ", LabelRef("gpu"), " on ", LabelRef("instance"), " has its frame buffer nearly full"),
            description=(
                "GPU ",
                LabelRef("gpu"),
                " uses ",
                ValueRef("percent"),
                f" of its frame buffer (threshold {format_number(threshold * 100)}%).",
                *extra_description(alert),
            ),
            runbook_url=runbook_url(spec, alert.name),
            dashboard_url=dashboard_url(spec),
            first_checks=self.first_checks(spec, alert),
            output_labels=self._keep(p),
            threshold=threshold,
        )

    def first_checks(self, spec: Spec, alert: Alert) -> tuple[str, ...]:
        return (
            "Which GPU: the alert's `gpu` and `instance` labels; `nvidia-smi` on that host lists its processes.",
            "Whether the model's memory grew (a larger batch, a longer context, a second model loaded) or leaks.",
        )

    def fault(self, spec: Spec, alert: Alert) -> Fault | CannotDrive:
        if not any(e.exporter == "dcgm" for e in spec.scrape.exporters):
            return CannotDrive(
                f"`{alert.name}` reads dcgm-exporter's series, which the spec declares without scraping "
                "dcgm-exporter; verify simulates dcgm-exporter for a `scrape.exporters` job with `exporter: dcgm`"
            )
        return FrameBufferFull(self.params(alert).threshold)

    def cases(self, spec: Spec, alert: Alert, rule: AlertRule) -> list[AlertCase]:
        p = self.params(alert)
        threshold = p.threshold
        job = next((e.job for e in spec.scrape.exporters if e.exporter == "dcgm"), DEFAULT_JOB)
        labels = {"job": job, "instance": TEST_INSTANCE, **_GPU}
        labels.update({label: f"{label}-1" for label in p.by if label not in labels})
        result = {k: labels[k] for k in self._keep(p)}
        minutes = alert.for_seconds // 60 + 5
        step = min(0.02, threshold / 2, (1 - threshold) / 2)
        cases = []
        for firing, share in ((True, threshold + step), (False, threshold - step)):
            used = round(share * _FRAME_BUFFER_MIB, 6)
            inputs = [
                (series(USED, labels), f"{format_number(used)}x{minutes}"),
                (series(FREE, labels), f"{format_number(_FRAME_BUFFER_MIB - used)}x{minutes}"),
            ]
            what = f"{format_number(round(share * 100, 6))}% used"
            cases.append(threshold_case(rule, firing, what, inputs, minutes * 60, result, used / _FRAME_BUFFER_MIB))
        return cases
