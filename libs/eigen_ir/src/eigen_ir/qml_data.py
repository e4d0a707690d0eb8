"""QML datasets: what ``load_dataset`` names, how it loads, splits and scales (seed 004).

Every dataset comes from scikit-learn, nothing is fetched at run time:

- bundled with the library (CSV files inside the wheel): ``iris`` (150 × 4, 3 classes),
  ``breast_cancer`` (569 × 30, 2 classes), ``digits`` (1797 × 64, 10 classes);
- generated with a seed: ``moons`` (``make_moons``) and ``circles`` (``make_circles``),
  ``n_samples`` points in 2 features, ``noise`` (standard deviation of the Gaussian noise
  added, in feature units), ``factor`` (circles: inner/outer radius).

A :class:`DatasetSpec` is plain data (the compiler checks and records it without loading
anything; :data:`DATASETS` knows every size). :func:`load` materialises it: rows of the chosen
two ``classes`` (label 0 = ``classes[0]``, 1 = ``classes[1]``), columns ``features``, in the
library's row order. :func:`split` is scikit-learn's stratified ``train_test_split`` with the
seed; :func:`scale_to_angles` maps each feature to radians by min-max over the training rows:

    angle = π · (x − min_train) / (max_train − min_train)      (0 when max_train == min_train)

so training angles lie in [0, π]; test angles use the training minimum and maximum and may
fall slightly outside. The same code runs in the kernel and in a local run, so the same spec
gives the same arrays, bit for bit.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Upper bound of the samples one training job uses (after class subsetting).
MAX_SAMPLES = 1000
#: Upper bound of the features (= qubits of the feature maps) one model uses.
MAX_FEATURES = 12
#: Default ``n_samples`` of the generated datasets.
DEFAULT_SAMPLES = 100


class QmlError(ValueError):
    """A QML construct is given a bad argument; the message names it and what is allowed."""


@dataclass(frozen=True)
class DatasetInfo:
    """What is known about a dataset without loading it.

    ``n_samples`` is None for generated datasets (the caller chooses); ``class_counts`` the
    rows per class (generated: computed from ``n_samples``).
    """

    n_features: int
    class_names: tuple[str, ...]
    n_samples: int | None = None
    class_counts: tuple[int, ...] = ()

    @property
    def generated(self) -> bool:
        """True for ``moons`` and ``circles``."""
        return self.n_samples is None


#: Every dataset ``load_dataset`` knows, by name.
DATASETS: dict[str, DatasetInfo] = {
    "iris": DatasetInfo(4, ("setosa", "versicolor", "virginica"), 150, (50, 50, 50)),
    "breast_cancer": DatasetInfo(30, ("malignant", "benign"), 569, (212, 357)),
    "digits": DatasetInfo(
        64,
        tuple(str(d) for d in range(10)),
        1797,
        (178, 182, 177, 183, 181, 182, 181, 179, 174, 180),
    ),
    "moons": DatasetInfo(2, ("0", "1")),
    "circles": DatasetInfo(2, ("0", "1")),
}


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset as a job names it (JSON: :meth:`to_json`).

    Attributes:
        name: a key of :data:`DATASETS`.
        classes: the two class indices kept; label 0 is ``classes[0]``, 1 is ``classes[1]``.
        features: the column indices kept, in this order (the feature-map order).
        n_samples: generated datasets: points generated (None for bundled ones).
        noise: generated: Gaussian noise standard deviation (feature units), else None.
        factor: circles: inner/outer circle radius ratio in (0, 1), else None.
        seed: generated: the generator's seed (``random_state``), else None.
    """

    name: str
    classes: tuple[int, int]
    features: tuple[int, ...]
    n_samples: int | None = None
    noise: float | None = None
    factor: float | None = None
    seed: int | None = None

    @property
    def n_features(self) -> int:
        """Columns kept (= qubits of the feature map)."""
        return len(self.features)

    def sample_count(self) -> int:
        """Rows :func:`load` returns (the two classes' rows), without loading."""
        info = DATASETS[self.name]
        if info.generated:
            assert self.n_samples is not None
            return self.n_samples
        return sum(info.class_counts[c] for c in self.classes)

    def to_json(self) -> dict[str, Any]:
        """The spec as a JSON object."""
        return {
            "name": self.name,
            "classes": list(self.classes),
            "features": list(self.features),
            "n_samples": self.n_samples,
            "noise": self.noise,
            "factor": self.factor,
            "seed": self.seed,
        }


def _is_int(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _real(v: Any, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(float(v)):
        raise QmlError(f"{what} must be a finite number, got {v!r}")
    return float(v)


def _classes(name: str, info: DatasetInfo, classes: Any) -> tuple[int, int]:
    names = info.class_names
    if classes is None:
        if len(names) != 2:
            shown = ", ".join(repr(n) for n in names)
            raise QmlError(
                f"{name!r} has {len(names)} classes ({shown}); choose two with "
                f"classes=[{names[0]!r}, {names[1]!r}] (two-class models only)"
            )
        return (0, 1)
    if isinstance(classes, str) or not isinstance(classes, Sequence) or len(classes) != 2:
        raise QmlError(f"classes must be a list of two classes, got {classes!r}")
    out: list[int] = []
    for c in classes:
        if isinstance(c, str) and c in names:
            out.append(names.index(c))
        elif _is_int(c) and 0 <= int(c) < len(names):
            out.append(int(c))
        else:
            raise QmlError(
                f"{name!r} has no class {c!r}; its classes are "
                f"{', '.join(repr(n) for n in names)} (or their indices 0..{len(names) - 1})"
            )
    if out[0] == out[1]:
        raise QmlError(f"classes must be two different classes, got {classes!r}")
    return (out[0], out[1])


def _features(name: str, info: DatasetInfo, features: Any) -> tuple[int, ...]:
    if features is None:
        if info.n_features > MAX_FEATURES:
            raise QmlError(
                f"{name!r} has {info.n_features} features, more than the limit of "
                f"{MAX_FEATURES} (one qubit each); choose some with features=[0, 1, ...]"
            )
        return tuple(range(info.n_features))
    if isinstance(features, str) or not isinstance(features, Sequence) or not features:
        raise QmlError(f"features must be a non-empty list of column indices, got {features!r}")
    if len(features) > MAX_FEATURES:
        raise QmlError(f"{len(features)} features; the limit is {MAX_FEATURES} (one qubit each)")
    out = []
    for f in features:
        if not _is_int(f) or not 0 <= int(f) < info.n_features:
            raise QmlError(f"feature {f!r} is not a column of {name!r} (0..{info.n_features - 1})")
        out.append(int(f))
    if len(set(out)) != len(out):
        raise QmlError(f"features must not repeat a column, got {list(features)!r}")
    return tuple(out)


def dataset_spec(
    name: Any,
    *,
    n_samples: Any = None,
    noise: Any = None,
    factor: Any = None,
    seed: Any = None,
    classes: Any = None,
    features: Any = None,
    default_seed: int = 0,
) -> DatasetSpec:
    """Check ``load_dataset``'s arguments and return the spec (loads nothing).

    Args:
        name: a key of :data:`DATASETS`.
        n_samples: generated datasets only: 4..:data:`MAX_SAMPLES` (default 100).
        noise: generated only: Gaussian noise standard deviation, 0..10 (default 0).
        factor: circles only: inner/outer radius ratio in (0, 1) (default 0.8, as sklearn).
        seed: generated only: the generator seed, 0..2^32-1 (default ``default_seed``).
        classes: two class names or indices (required when the dataset has more than two).
        features: column indices to keep (default all, if at most :data:`MAX_FEATURES`).
        default_seed: the seed used when ``seed`` is None (the program's seed, else 0).

    Raises:
        QmlError: an unknown name (the message lists the available ones) or a bad argument.
    """
    if not isinstance(name, str) or name not in DATASETS:
        raise QmlError(f"unknown dataset {name!r}; available: {', '.join(sorted(DATASETS))}")
    info = DATASETS[name]
    cls = _classes(name, info, classes)
    cols = _features(name, info, features)
    if not info.generated:
        given = [k for k, v in (("n_samples", n_samples), ("noise", noise), ("factor", factor),
                                ("seed", seed)) if v is not None]  # fmt: skip
        if given:
            raise QmlError(
                f"{name!r} is a fixed dataset shipped with scikit-learn; "
                f"{', '.join(given)} apply to the generated datasets (moons, circles) only"
            )
        return DatasetSpec(name, cls, cols)
    count = DEFAULT_SAMPLES if n_samples is None else n_samples
    if not _is_int(count) or not 4 <= int(count) <= MAX_SAMPLES:
        raise QmlError(f"n_samples must be an integer in 4..{MAX_SAMPLES}, got {n_samples!r}")
    sd = 0.0 if noise is None else _real(noise, "noise")
    if not 0.0 <= sd <= 10.0:
        raise QmlError(f"noise must be in 0..10 (a standard deviation), got {noise!r}")
    fac: float | None = None
    if name == "circles":
        fac = 0.8 if factor is None else _real(factor, "factor")
        if not 0.0 < fac < 1.0:
            raise QmlError(f"factor must be in (0, 1), got {factor!r}")
    elif factor is not None:
        raise QmlError("factor applies to the 'circles' dataset only")
    s = default_seed if seed is None else seed
    if not _is_int(s) or not 0 <= int(s) < 2**32:
        raise QmlError(f"seed must be an integer in 0..2^32-1, got {seed!r}")
    return DatasetSpec(name, cls, cols, int(count), sd, fac, int(s))


def spec_from_json(obj: Any) -> DatasetSpec:
    """Parse :meth:`DatasetSpec.to_json` (checked like :func:`dataset_spec`).

    Raises:
        QmlError: not a valid spec.
    """
    if not isinstance(obj, dict) or set(obj) != {
        "name", "classes", "features", "n_samples", "noise", "factor", "seed"
    }:  # fmt: skip
        raise QmlError("dataset must be {name, classes, features, n_samples, noise, factor, seed}")
    generated = DATASETS.get(obj["name"], DatasetInfo(0, ())).generated
    spec = dataset_spec(
        obj["name"],
        n_samples=obj["n_samples"],
        noise=obj["noise"],
        factor=obj["factor"],
        seed=obj["seed"],
        classes=obj["classes"],
        features=obj["features"],
    )
    if generated and obj["seed"] is None:
        raise QmlError("dataset.seed is required for a generated dataset")
    return spec


def load(spec: DatasetSpec) -> tuple[np.ndarray, np.ndarray]:
    """The dataset's rows of the two classes, in the library's row order.

    Returns:
        ``x`` shape (n, n_features) float64 (feature units), ``y`` shape (n,) int64 in {0, 1}.
    """
    from sklearn import datasets

    if spec.name == "moons":
        data, target = datasets.make_moons(
            n_samples=spec.n_samples, noise=spec.noise, random_state=spec.seed
        )
    elif spec.name == "circles":
        data, target = datasets.make_circles(
            n_samples=spec.n_samples, noise=spec.noise, factor=spec.factor, random_state=spec.seed
        )
    else:
        loader = {
            "iris": datasets.load_iris,
            "breast_cancer": datasets.load_breast_cancer,
            "digits": datasets.load_digits,
        }[spec.name]
        data, target = loader(return_X_y=True)
    target = np.asarray(target, dtype=np.int64)
    keep = (target == spec.classes[0]) | (target == spec.classes[1])
    x = np.asarray(data, dtype=np.float64)[keep][:, list(spec.features)]
    y = (target[keep] == spec.classes[1]).astype(np.int64)
    return np.ascontiguousarray(x), y


@dataclass(frozen=True)
class SplitSpec:
    """Train/test split: ``test_size`` (fraction in (0, 1)) and ``seed`` (``random_state``)."""

    test_size: float
    seed: int

    def sizes(self, n_samples: int) -> tuple[int, int]:
        """``(n_train, n_test)`` as scikit-learn computes them: n_test = ⌈test_size · n⌉."""
        n_test = math.ceil(self.test_size * n_samples)
        return n_samples - n_test, n_test

    def to_json(self) -> dict[str, Any]:
        """The split as a JSON object."""
        return {"test_size": self.test_size, "seed": self.seed}


def split_spec(test_size: Any, seed: Any, n_samples: int) -> SplitSpec:
    """Check a split of ``n_samples`` rows: each side must keep at least 2 rows (one per class).

    Raises:
        QmlError: ``test_size`` not in (0, 1), a side with fewer than 2 rows, or a bad seed.
    """
    size = _real(test_size, "test_size")
    if not 0.0 < size < 1.0:
        raise QmlError(f"test_size must be a fraction in (0, 1), got {test_size!r}")
    if not _is_int(seed) or not 0 <= int(seed) < 2**32:
        raise QmlError(f"seed must be an integer in 0..2^32-1, got {seed!r}")
    spec = SplitSpec(size, int(seed))
    n_train, n_test = spec.sizes(n_samples)
    if n_train < 2 or n_test < 2:
        raise QmlError(
            f"test_size={test_size!r} of {n_samples} samples leaves {n_train} for training and "
            f"{n_test} for testing; each needs at least 2 (one per class)"
        )
    return spec


def split(
    x: np.ndarray, y: np.ndarray, spec: SplitSpec
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stratified ``train_test_split(x, y, test_size, random_state=seed, stratify=y)``.

    Returns:
        ``x_train, x_test, y_train, y_test``.
    """
    from sklearn.model_selection import train_test_split

    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=spec.test_size, random_state=spec.seed, stratify=y
    )
    return (
        np.ascontiguousarray(x_train),
        np.ascontiguousarray(x_test),
        np.asarray(y_train, dtype=np.int64),
        np.asarray(y_test, dtype=np.int64),
    )


def scale_to_angles(x_train: np.ndarray, x_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Min-max each feature over the training rows to [0, π] radians (module docstring)."""
    low = x_train.min(axis=0)
    span = x_train.max(axis=0) - low
    safe = np.where(span > 0, span, 1.0)

    def scaled(a: np.ndarray) -> np.ndarray:
        out = math.pi * (a - low) / safe
        return np.where(span > 0, out, 0.0)

    return scaled(x_train), scaled(x_test)
