"""The package's public surface is explicit, sorted and complete."""

from __future__ import annotations

import types

import mixpanel_data


def test_all_is_sorted_and_unique() -> None:
    assert mixpanel_data.__all__ == sorted(set(mixpanel_data.__all__))


def test_every_public_name_is_exported_and_every_export_resolves() -> None:
    # Submodules become attributes once anything imports them; they are not part of __all__.
    submodules = {n for n, v in vars(mixpanel_data).items() if isinstance(v, types.ModuleType)}
    public = {n for n in vars(mixpanel_data) if not n.startswith("_")} - submodules
    missing = public - set(mixpanel_data.__all__) - {"annotations"}
    assert missing == set()
    for name in mixpanel_data.__all__:
        assert getattr(mixpanel_data, name) is not None


def test_types_module_reexports_every_result_type() -> None:
    import mixpanel_data.types as t

    assert t.__all__ == sorted(set(t.__all__))
    for name in t.__all__:
        assert getattr(mixpanel_data, name) is getattr(t, name)


def test_seed_spec_names_are_public() -> None:
    seed = [
        "Workspace",
        "ephemeral",
        "connect",
        "query",
        "query_df",
        "ConfigManager",
        "Credentials",
        "resolve_credentials",
        "MixpanelDataError",
        "ConfigError",
        "AccountNotFoundError",
        "AccountExistsError",
        "AuthenticationError",
        "RateLimitError",
        "QueryError",
        "TableExistsError",
        "TableNotFoundError",
        "FetchResult",
        "TableMetadata",
        "SegmentationResult",
        "FunnelResult",
        "FunnelStep",
        "RetentionResult",
        "JQLResult",
        "EventCountsResult",
        "PropertyCountsResult",
        "ActivityFeedResult",
        "InsightsResult",
        "FrequencyResult",
        "NumericBucketResult",
        "NumericSumResult",
        "NumericAverageResult",
        "FunnelInfo",
        "SavedCohort",
        "TopEvent",
        "TableInfo",
        "TableSchema",
        "ColumnInfo",
        "WorkspaceInfo",
    ]
    assert [name for name in seed if name not in mixpanel_data.__all__] == []
