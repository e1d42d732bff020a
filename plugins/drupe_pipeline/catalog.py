"""`DataCatalog`: the named datasets of one run.

A catalog is built fresh for every run, from the ``catalog`` configuration,
the credentials and the run's parameters, so two runs (even two concurrent
runs of one service session) never share a dataset object or the data a
memory dataset holds. Entries are created on first use: a run that touches
three datasets of a fifty-entry catalog builds three datasets.

Names a catalog answers:

* every entry of the ``catalog`` configuration;
* every name matching a dataset factory (an entry whose name holds
  ``{placeholders}``; the most specific matching pattern wins);
* ``parameters`` (all parameters) and ``params:a.b`` (one nested value);
* datasets added in code with `DataCatalog.add`, and the memory datasets
  a runner adds for the pipeline's intermediate and free outputs.
"""

from __future__ import annotations

import copy
import importlib
import os
import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from drupe_pipeline import containment
from drupe_pipeline.datasets import (
    BUILTIN_DATASETS,
    AbstractDataset,
    DatasetError,
    MemoryDataset,
    Version,
    builtin_dataset,
)

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_RESERVED_KEYS = ("type", "versioned", "credentials", containment.ALLOWED_ROOTS_KEY)


class LoadVersionsError(DatasetError):
    """``load_versions`` names a dataset the catalog lacks or that is not versioned.

    The caller's mistake, found before any node runs: exit status 2, and a
    422 naming ``load_versions`` over HTTP.
    """

    exit_code = 2

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.field = "load_versions"  # after the base class, which sets a field of its own


class DatasetType(NamedTuple):
    """What a catalog ``type:`` names, and how to make a dataset of it.

    ``kind`` is ``"drupe"`` (an `AbstractDataset` subclass), ``"kedro"`` (a
    Kedro-ecosystem class, used through `KedroDataset`) or ``"duck"`` (any
    other class with ``load`` and ``save``, used through `DuckDataset`).
    """

    name: str
    cls: type
    kind: str

    def make(self, kwargs: dict[str, Any], version: Version | None) -> AbstractDataset:
        from drupe_pipeline.datasets.adapters import DuckDataset, KedroDataset, accepts_keyword

        if self.kind == "drupe":
            if version is not None:
                if not accepts_keyword(self.cls, "version"):
                    raise DatasetError(
                        f"type {self.name!r} cannot be versioned (it takes no version); "
                        f"remove `versioned: true`"
                    )
                kwargs["version"] = version
            dataset: AbstractDataset = self.cls(**kwargs)
            return dataset
        # Classes written for Kedro (or duck-typed) expect paths as strings.
        for key in ("filepath", "path"):
            if isinstance(kwargs.get(key), os.PathLike):
                kwargs[key] = os.fspath(kwargs[key])

        if self.kind == "kedro":
            return KedroDataset(self.cls, self.name, version, **kwargs)
        if version is not None:
            raise DatasetError(
                f"type {self.name!r} cannot be versioned: `versioned: true` needs a drupe "
                f"file dataset or a versioned Kedro dataset"
            )
        return DuckDataset(self.cls, self.name, **kwargs)


def dataset_type(type_name: str, *, entry: str = "") -> DatasetType:
    """Resolve a ``type:`` value, in this order.

    1. a built-in name (``CSVDataset``, ``pandas.ParquetDataset``...);
    2. a dotted path ``module.Class`` / ``module:Class`` to an importable class;
    3. ``kedro_datasets.<type>`` when kedro-datasets is installed (so
       ``pandas.GBQTableDataset`` finds Kedro's class; kedro-datasets is
       imported only when steps 1 and 2 found nothing).

    The class found is used as it is when it subclasses `AbstractDataset`,
    through the Kedro adapter when it subclasses Kedro's ``AbstractDataset``,
    and through the duck-typed adapter when it has ``load`` and ``save``.
    """
    where = f"catalog entry {entry!r}: " if entry else ""
    builtin = builtin_dataset(type_name)
    if builtin is not None:
        if builtin.requires:  # MemoryDataset and the file datasets need no extra
            from drupe_pipeline.datasets.extras import check_installed

            check_installed(builtin.requires, f"{where}type {type_name}")
        return DatasetType(type_name, builtin, "drupe")
    from drupe_pipeline.datasets.adapters import describe_missing, is_kedro_dataset
    from drupe_pipeline.datasets.extras import check_installed

    module_name, sep, attr = type_name.partition(":")
    if not sep:
        module_name, _, attr = type_name.rpartition(".")
    if not module_name or not attr:
        raise DatasetError(
            f"{where}type {type_name!r} is neither a built-in dataset "
            f"({', '.join(BUILTIN_DATASETS)}) nor a dotted path such as 'my_pkg.datasets.MyDataset'"
        )
    obj, error = _import(module_name, attr)
    if error is not None and not sep and _kedro_datasets_installed():
        obj, kedro_error = _import(f"kedro_datasets.{module_name}", attr)
        if kedro_error is not None:
            error = f"{error}; nor is it kedro_datasets.{type_name} ({kedro_error})"
        else:
            error = None
    if error is not None:
        raise DatasetError(f"{where}type {type_name!r} could not be imported: {error}")
    if not isinstance(obj, type):
        raise DatasetError(f"{where}type {type_name!r} is not a class")
    if issubclass(obj, AbstractDataset):
        check_installed(obj.requires, f"{where}type {type_name}")
        return DatasetType(type_name, obj, "drupe")
    if is_kedro_dataset(obj):
        return DatasetType(type_name, obj, "kedro")
    from drupe_pipeline.datasets.adapters import missing_methods

    lacking = missing_methods(obj)
    if lacking:
        raise DatasetError(
            f"{where}type {type_name!r} is not a dataset: it is not a subclass of "
            f"drupe_pipeline.AbstractDataset and {describe_missing(lacking)}"
        )
    return DatasetType(type_name, obj, "duck")


def _import(module_name: str, attr: str) -> tuple[Any, str | None]:
    """``module.attr`` (nested attributes allowed), or the reason it cannot be imported."""
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    return obj, None


def _kedro_datasets_installed() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("kedro_datasets") is not None
    except (ImportError, ValueError):
        return False


def dataset_class(type_name: str, *, entry: str = "") -> type:
    """The class a ``type:`` value names (see `dataset_type`)."""
    return dataset_type(type_name, entry=entry).cls


def resolve_dataset_path(filepath: Any, root: Path | None) -> Path | str:
    """Where a catalog entry's ``filepath`` points: the one place paths are resolved.

    A URL with a protocol (``s3://...``) is kept as it is; a local path (or a
    ``file://`` URL) gets ``~`` expanded, and a relative one is resolved
    against ``root`` (the project root), never the working folder.
    """
    from drupe_pipeline.datasets.filesystem import is_url, local_path

    text = str(filepath)
    if is_url(text):
        return text
    path = local_path(text)
    if root is not None and not path.is_absolute():
        return root / path
    return path


def _secrets(value: Any) -> set[str]:
    """Every string (and number) inside a credentials value, to scrub from messages."""
    if isinstance(value, Mapping):
        return set().union(*(_secrets(v) for v in value.values())) if value else set()
    if isinstance(value, (list, tuple)):
        return set().union(*(_secrets(v) for v in value)) if value else set()
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = str(value)
        return {text} if len(text) >= 3 else set()
    return set()


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret found in ``text`` by ``***``."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


class _Pattern(NamedTuple):
    """One dataset factory: ``"{name}_raw": {...}``."""

    pattern: str
    regex: re.Pattern[str]
    config: Mapping[str, Any]

    @property
    def specificity(self) -> tuple[int, int, str]:
        literal = len(_PLACEHOLDER.sub("", self.pattern))
        placeholders = len(_PLACEHOLDER.findall(self.pattern))
        return (-literal, placeholders, self.pattern)


def _compile_pattern(pattern: str, config: Mapping[str, Any]) -> _Pattern:
    names = _PLACEHOLDER.findall(pattern)
    if len(set(names)) != len(names):
        raise DatasetError(
            f"dataset factory {pattern!r} repeats a placeholder; give each one its own name"
        )
    regex, last = "", 0
    for match in _PLACEHOLDER.finditer(pattern):
        regex += re.escape(pattern[last : match.start()]) + f"(?P<{match.group(1)}>.+?)"
        last = match.end()
    regex += re.escape(pattern[last:])
    return _Pattern(pattern, re.compile(regex), config)


def _fill(value: Any, values: Mapping[str, str]) -> Any:
    """Substitute ``{placeholder}``s of a factory's matched name in every string."""
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), value)
    if isinstance(value, Mapping):
        return {k: _fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    return value


class CatalogConfig:
    """The parsed ``catalog`` configuration: entries, factories and credentials.

    Parsing does not create datasets, so one `CatalogConfig` can back the
    catalogs of many runs (a service session parses once); `build` makes a
    new dataset object each time.
    """

    def __init__(
        self,
        catalog: Mapping[str, Any] | None,
        credentials: Mapping[str, Any] | None = None,
        *,
        root: Path | None = None,
        baseline: CatalogConfig | None = None,
        runtime_unknown: bool = False,
    ) -> None:
        """Args:
        catalog / credentials: the configuration (as the run's config loader resolved it).
        root: the project root: relative paths resolve against it, and every path
            must stay inside it (or the entry's ``allowed_roots``).
        baseline: the same catalog resolved *without* runtime parameters, when
            runtime parameters changed it; an entry key that differs there was
            built from runtime parameters (see drupe_pipeline.containment).
            ``None``: nothing here came from runtime parameters.
        runtime_unknown: runtime parameters were given but the loader cannot
            resolve without them, so every key counts as built from them.
        """
        self.root = root
        self.source = catalog  # what it was parsed from (callers cache by identity)
        self.baseline = baseline
        self._runtime_unknown = runtime_unknown
        # Plain private copies: the config loader hands out read-only views shared
        # between runs, and nothing here may ever change what another run reads.
        self._credentials: dict[str, Any] = copy.deepcopy(dict(credentials or {}))
        self.entries: dict[str, Mapping[str, Any]] = {}
        patterns: list[_Pattern] = []
        for name, config in copy.deepcopy(dict(catalog or {})).items():
            if not isinstance(name, str) or name.startswith("_"):
                continue  # "_anchors" hold YAML anchors, not datasets
            if not isinstance(config, Mapping):
                raise DatasetError(
                    f"catalog entry {name!r} must be a mapping with a 'type' key, "
                    f"got {type(config).__name__}"
                )
            if "type" not in config:
                raise DatasetError(
                    f"catalog entry {name!r} has no 'type' (e.g. type: CSVDataset, or a dotted "
                    f"path to a dataset class)"
                )
            if _PLACEHOLDER.search(name):
                patterns.append(_compile_pattern(name, config))
            else:
                self.entries[name] = config
        self.patterns = sorted(patterns, key=lambda p: p.specificity)
        self._matched: dict[str, Mapping[str, Any] | None] = {}

    def resolve(self, name: str) -> Mapping[str, Any] | None:
        """The configuration of ``name``: its entry, or the most specific matching factory."""
        config = self.entries.get(name)
        if config is not None:
            return config
        if not self.patterns:
            return None
        if name in self._matched:
            return self._matched[name]
        found: Mapping[str, Any] | None = None
        for pattern in self.patterns:
            match = pattern.regex.fullmatch(name)
            if match is not None:
                found = _fill(pattern.config, match.groupdict())
                break
        if len(self._matched) < 10_000:  # names come from pipelines: a bounded set
            self._matched[name] = found
        return found

    def secrets(self, config: Mapping[str, Any]) -> set[str]:
        """The credential values an entry uses (scrubbed from every error about it)."""
        creds = config.get("credentials")
        if isinstance(creds, str):
            creds = self._credentials.get(creds)
        return _secrets(creds) if creds else set()

    def build(
        self,
        name: str,
        config: Mapping[str, Any],
        *,
        load_version: str | None = None,
        save_version: str | None = None,
    ) -> AbstractDataset:
        """Create the dataset ``name`` from a fresh plain copy of its configuration.

        The copy matters: the parsed configuration backs every run of a service
        session, and a dataset class may change the arguments it is given.
        """
        config = copy.deepcopy(config)
        kind = dataset_type(str(config["type"]), entry=name)
        kwargs = {k: v for k, v in config.items() if k not in _RESERVED_KEYS}
        secrets: set[str] = set()
        if "credentials" in config:
            creds = config["credentials"]
            if isinstance(creds, str):
                if creds not in self._credentials:
                    raise DatasetError(
                        f"catalog entry {name!r} uses credentials {creds!r}, which the "
                        f"credentials configuration does not define"
                    )
                creds = copy.deepcopy(self._credentials[creds])
            secrets = _secrets(creds)
            kwargs["credentials"] = creds
        # Kedro's folder datasets (PartitionedDataset...) name their location `path`.
        path_keys = ("filepath", "path") if kind.kind == "kedro" else ("filepath",)
        for key in path_keys:
            if key in kwargs:
                kwargs[key] = resolve_dataset_path(kwargs[key], self.root)
        kwargs.update(
            containment.contain(
                name,
                kwargs,
                keys=path_keys,
                dataset_class=kind.cls,
                root=self.root,
                allowed_roots=self._runtime_free(name, config).get(containment.ALLOWED_ROOTS_KEY),
                steered=self._steered(name, config),
            )
        )
        version = None
        if config.get("versioned"):
            version = Version(load=load_version, save=save_version)
        elif load_version is not None:
            raise LoadVersionsError(
                f"a version of {name!r} was asked for ({load_version!r}) but its catalog entry "
                f"is not versioned (add `versioned: true`)"
            )
        try:
            return kind.make(kwargs, version)
        except DatasetError as exc:
            raise DatasetError(f"catalog entry {name!r}: {redact(str(exc), secrets)}") from None
        except Exception as exc:
            message = redact(f"{type(exc).__name__}: {exc}", secrets)
            raise DatasetError(
                f"catalog entry {name!r} (type {config['type']}) could not be created: {message}"
            ) from None

    def _runtime_free(self, name: str, config: Mapping[str, Any]) -> Mapping[str, Any]:
        """The entry as configured without runtime parameters (``config`` itself if the same)."""
        if self.baseline is None:
            return config
        return self.baseline.resolve(name) or {}

    def _steered(self, name: str, config: Mapping[str, Any]) -> frozenset[str]:
        """The entry's keys whose values runtime parameters built."""
        if self._runtime_unknown:
            return frozenset({containment.UNKNOWN})
        if self.baseline is None:
            return frozenset()
        base = self._runtime_free(name, config)
        return frozenset(k for k in {*config, *base} if config.get(k) != base.get(k))


def parse_for_run(
    loader: Any,
    catalog: Any,
    credentials: Any,
    *,
    root: Path | None,
    runtime_params: Mapping[str, Any] | None,
    previous: CatalogConfig | None = None,
) -> CatalogConfig:
    """Parse a run's ``catalog`` configuration, knowing which of it runtime parameters built.

    When the run has runtime parameters and they changed the catalog, the
    catalog as configured without them is parsed too, as the `CatalogConfig`
    ``baseline`` (reused from ``previous`` when it is the same): containment
    compares the two. The loader derives the runtime-free sibling with
    ``with_runtime_params({})``, re-reading nothing; a loader that cannot
    makes every key count as built from runtime parameters.
    """
    if not runtime_params:
        return CatalogConfig(catalog, credentials, root=root)
    derive = getattr(loader, "with_runtime_params", None)
    if not callable(derive):
        return CatalogConfig(catalog, credentials, root=root, runtime_unknown=True)
    free = derive({})
    free_catalog = _config_key(free, "catalog")
    if free_catalog is catalog or free_catalog == catalog:
        return CatalogConfig(catalog, credentials, root=root)
    baseline = previous.baseline if previous is not None else None
    if baseline is None or baseline.source is not free_catalog or baseline.root != root:
        baseline = CatalogConfig(free_catalog, _config_key(free, "credentials"), root=root)
    return CatalogConfig(catalog, credentials, root=root, baseline=baseline)


def _config_key(loader: Any, key: str) -> Any:
    try:
        return loader.get(key) or {}
    except KeyError:
        return {}


class DataCatalog:
    """The datasets of one run, by name.

    Build one in code with ``DataCatalog({"name": dataset, ...})`` or from
    configuration with `DataCatalog.from_config`. Runners call `load`,
    `save`, `exists` and `release`; they add memory datasets for names the
    catalog lacks with `add_memory`.
    """

    def __init__(
        self,
        datasets: Mapping[str, AbstractDataset] | None = None,
        *,
        parameters: Mapping[str, Any] | None = None,
        config: CatalogConfig | None = None,
        load_versions: Mapping[str, str] | None = None,
        save_version: str | None = None,
    ) -> None:
        self._datasets: dict[str, AbstractDataset] = dict(datasets or {})
        self._parameters = parameters
        self._config = config
        self._load_versions = dict(load_versions or {})
        self._save_version = save_version
        self._implicit: set[str] = set()
        self._secrets: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_config(
        cls,
        catalog: Mapping[str, Any] | None,
        credentials: Mapping[str, Any] | None = None,
        *,
        root: Path | None = None,
        parameters: Mapping[str, Any] | None = None,
        load_versions: Mapping[str, str] | None = None,
        save_version: str | None = None,
    ) -> DataCatalog:
        """A catalog from the ``catalog`` and ``credentials`` configuration.

        Relative ``filepath``s resolve against ``root`` (the project root).
        Versioned datasets save under ``save_version`` (the run id) and load
        the version ``load_versions`` names, else the newest.
        """
        parsed = CatalogConfig(catalog, credentials, root=root)
        return cls.from_parsed(
            parsed,
            parameters=parameters,
            load_versions=load_versions,
            save_version=save_version,
        )

    @classmethod
    def from_parsed(
        cls,
        config: CatalogConfig,
        *,
        parameters: Mapping[str, Any] | None = None,
        load_versions: Mapping[str, str] | None = None,
        save_version: str | None = None,
    ) -> DataCatalog:
        """A fresh catalog from an already parsed `CatalogConfig` (one per run)."""
        catalog = cls(
            parameters=parameters,
            config=config,
            load_versions=load_versions,
            save_version=save_version,
        )
        for name in catalog._load_versions:
            if config.resolve(name) is None:
                raise LoadVersionsError(
                    f"--load-versions names {name!r}, which is not in the catalog"
                )
            catalog._get(name)  # fails now if the entry is not versioned
        return catalog

    # -- lookup -------------------------------------------------------------

    def _get(self, name: str) -> AbstractDataset | None:
        dataset = self._datasets.get(name)
        if dataset is not None:
            return dataset
        with self._lock:
            dataset = self._datasets.get(name)
            if dataset is None:
                dataset = self._create(name)
                if dataset is not None:
                    self._datasets[name] = dataset
            return dataset

    def _create(self, name: str) -> AbstractDataset | None:
        if self._parameters is not None:
            if name == "parameters":
                return MemoryDataset(self._parameters)
            if name.startswith("params:"):
                found, value = _lookup(self._parameters, name[len("params:") :])
                return MemoryDataset(value) if found else None
        if self._config is not None:
            config = self._config.resolve(name)
            if config is not None:
                secrets = self._config.secrets(config)
                if secrets:
                    self._secrets[name] = secrets
                return self._config.build(
                    name,
                    config,
                    load_version=self._load_versions.get(name),
                    save_version=self._save_version,
                )
        return None

    def get(self, name: str) -> AbstractDataset:
        """The dataset called ``name``; `DatasetError` when the catalog has none."""
        dataset = self._get(name)
        if dataset is None:
            raise DatasetError(f"dataset {name!r} is not in the catalog")
        return dataset

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._get(name) is not None

    def names(self) -> list[str]:
        """The datasets created so far, plus every configured (non-factory) entry."""
        names = set(self._datasets)
        if self._config is not None:
            names.update(self._config.entries)
        return sorted(names)

    def secrets_of(self, names: Iterable[str]) -> dict[str, set[str]]:
        """The credential values of these datasets (for a worker's catalog to scrub too)."""
        return {name: self._secrets[name] for name in names if name in self._secrets}

    def scrub(self, secrets: Mapping[str, set[str]]) -> None:
        """Scrub these credential values from errors about these datasets."""
        self._secrets.update(secrets)

    @property
    def implicit(self) -> frozenset[str]:
        """Names of the memory datasets added for names the catalog did not have."""
        return frozenset(self._implicit)

    # -- changes ------------------------------------------------------------

    def add(self, name: str, dataset: AbstractDataset, *, replace: bool = False) -> None:
        """Add a dataset; an existing name is an error unless ``replace``."""
        with self._lock:
            if not replace and name in self._datasets:
                raise DatasetError(f"dataset {name!r} is already in the catalog")
            self._datasets[name] = dataset

    def add_memory(self, name: str) -> bool:
        """Add an empty `MemoryDataset` if ``name`` is unknown; return whether one was added."""
        if self._get(name) is not None:
            return False
        with self._lock:
            if name in self._datasets:
                return False
            self._datasets[name] = MemoryDataset()
            self._implicit.add(name)
        return True

    # -- data ---------------------------------------------------------------

    def load(self, name: str) -> Any:
        dataset = self.get(name)
        try:
            return dataset.load()
        except DatasetError as exc:
            self._reraise_redacted(name, exc)
            raise

    def save(self, name: str, data: Any) -> None:
        dataset = self.get(name)
        try:
            dataset.save(data)
        except DatasetError as exc:
            self._reraise_redacted(name, exc)
            raise

    def _reraise_redacted(self, name: str, exc: DatasetError) -> None:
        """A dataset's own message may quote its credentials: scrub them, drop the chain."""
        secrets = self._secrets.get(name)
        if secrets:
            raise DatasetError(redact(str(exc), secrets)) from None

    def exists(self, name: str) -> bool:
        dataset = self._get(name)
        return dataset is not None and dataset.exists()

    def release(self, name: str) -> None:
        dataset = self._get(name)
        if dataset is not None:
            dataset.release()

    def __repr__(self) -> str:
        return f"DataCatalog({', '.join(self.names())})"


def _lookup(params: Mapping[str, Any], dotted: str) -> tuple[bool, Any]:
    """``params["a"]["b"]`` for ``"a.b"``; a key holding a dot literally is found too."""
    if dotted in params:
        return True, params[dotted]
    value: Any = params
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return False, None
        value = value[part]
    return True, value
