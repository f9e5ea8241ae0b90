"""Every lint check, one module each, in the order the docs list them. Adding a check is one new
module (see base.py for the interface) plus its import and one entry in CHECKS."""

from __future__ import annotations

from mongen.lint.checks.alert_topk import AlertTopk
from mongen.lint.checks.alert_value_in_label import AlertValueInLabel
from mongen.lint.checks.alert_without_comparison import AlertWithoutComparison
from mongen.lint.checks.alert_without_for import AlertWithoutFor
from mongen.lint.checks.annotation_unknown_label import AnnotationUnknownLabel
from mongen.lint.checks.base import Check, InputCheck, RuleCheck, RuleSetCheck, SpecCheck
from mongen.lint.checks.cardinality_budget import CardinalityBudget
from mongen.lint.checks.counter_without_rate import CounterWithoutRate
from mongen.lint.checks.deriv_on_counter import DerivOnCounter
from mongen.lint.checks.dropped_label import DroppedLabel
from mongen.lint.checks.duplicate_alert import DuplicateAlert
from mongen.lint.checks.duplicate_rule import DuplicateRule
from mongen.lint.checks.expression_depth import ExpressionTooDeep
from mongen.lint.checks.gauge_sum_over_time import GaugeSumOverTime
from mongen.lint.checks.histogram_quantile_input import HistogramQuantileInput
from mongen.lint.checks.ignored_document import IgnoredDocument
from mongen.lint.checks.impossible_matching import ImpossibleMatching
from mongen.lint.checks.label_without_effect import LabelWithoutEffect
from mongen.lint.checks.metric_name import MetricName
from mongen.lint.checks.missing_annotation import MissingAnnotation
from mongen.lint.checks.promql_parse import PromqlParse
from mongen.lint.checks.rate_on_gauge import RateOnGauge
from mongen.lint.checks.rate_over_sum import RateOverSum
from mongen.lint.checks.record_label_mismatch import RecordLabelMismatch
from mongen.lint.checks.recording_rule_name import RecordingRuleName
from mongen.lint.checks.regex_anchor import RegexAnchor
from mongen.lint.checks.rule_file import NotARuleFile
from mongen.lint.checks.scalar_of_groups import ScalarOfGroups
from mongen.lint.checks.short_range import ShortRange
from mongen.lint.checks.suppression_comment import SuppressionComment
from mongen.lint.checks.unknown_label import UnknownLabel
from mongen.lint.checks.unknown_label_value import UnknownLabelValue
from mongen.lint.checks.unknown_metric import UnknownMetric
from mongen.lint.checks.unrouted_severity import UnroutedSeverity
from mongen.lint.checks.untyped_external import UntypedExternal
from mongen.lint.checks.vector_matching import VectorMatching
from mongen.lint.suppressions import ALIASES

CHECKS: tuple[Check, ...] = (
    # Rule checks: one rule at a time.
    UnknownMetric(),
    UnknownLabel(),
    LabelWithoutEffect(),
    DroppedLabel(),
    UnknownLabelValue(),
    RateOnGauge(),
    GaugeSumOverTime(),
    CounterWithoutRate(),
    DerivOnCounter(),
    RateOverSum(),
    HistogramQuantileInput(),
    VectorMatching(),
    ImpossibleMatching(),
    ScalarOfGroups(),
    RegexAnchor(),
    ShortRange(),
    AlertWithoutFor(),
    AlertWithoutComparison(),
    AlertTopk(),
    UnroutedSeverity(),
    MissingAnnotation(),
    AnnotationUnknownLabel(),
    AlertValueInLabel(),
    RecordingRuleName(),
    # Rule-set checks: all rules of all files together.
    DuplicateRule(),
    DuplicateAlert(),
    RecordLabelMismatch(),
    # Spec checks.
    MetricName(),
    CardinalityBudget(),
    UntypedExternal(),
    # Reported by the reader.
    NotARuleFile(),
    IgnoredDocument(),
    PromqlParse(),
    ExpressionTooDeep(),
    SuppressionComment(),
)

RULE_CHECKS: tuple[RuleCheck, ...] = tuple(c for c in CHECKS if isinstance(c, RuleCheck))
RULE_SET_CHECKS: tuple[RuleSetCheck, ...] = tuple(c for c in CHECKS if isinstance(c, RuleSetCheck))
SPEC_CHECKS: tuple[SpecCheck, ...] = tuple(c for c in CHECKS if isinstance(c, SpecCheck))
INPUT_CHECKS: tuple[InputCheck, ...] = tuple(c for c in CHECKS if isinstance(c, InputCheck))

__all__ = [
    "ALIASES",
    "CHECKS",
    "INPUT_CHECKS",
    "RULE_CHECKS",
    "RULE_SET_CHECKS",
    "SPEC_CHECKS",
    "ExpressionTooDeep",
    "NotARuleFile",
    "PromqlParse",
    "SuppressionComment",
]
