"""Iris setosa vs versicolor with a 4-qubit quantum classifier, trained by the kernel.

Data: scikit-learn's bundled iris (no download), the 100 flowers of the two classes, 4 features
(sepal/petal length and width, cm), min-max scaled to [0, π] on the training split. Model:
angle encoding (RY per feature) → hardware-efficient ansatz (RY layer, CX chain, RY layer; 8
weights) → ⟨Z⟩ on qubit 0, class 1 (versicolor) when negative. Loss: cross-entropy; optimiser:
COBYLA, 60 iterations, each evaluating the 75 training flowers in one batched estimate call.
Exact expectation values: the local run and the platform run give the same numbers.

    eigen submit --job examples/qml/job.yaml --watch     # on the platform
    python examples/qml/program.eigen.py                 # locally, on Aer
"""

from eigen_lang import (
    QuantumModel,
    SupervisedTask,
    angle_encoding,
    create_hea_ansatz,
    hybrid_program,
    load_dataset,
)


@hybrid_program(target="sim:local", seed=7)
def iris_classifier(max_iter: int = 60):
    """Train on 75 flowers, test on 25."""
    data = load_dataset("iris", classes=["setosa", "versicolor"])
    model = QuantumModel(
        feature_map=angle_encoding(n_features=4, rotation="ry"),
        ansatz=create_hea_ansatz(n_qubits=4, depth=1, entanglement="linear", rotations="ry"),
    )
    task = SupervisedTask(
        model,
        data,
        test_size=0.25,
        loss="cross_entropy",
        optimizer="cobyla",
        max_iter=max_iter,
    )
    result = task.fit()
    return {
        "test_accuracy": result.test_accuracy,
        "train_accuracy": result.train_accuracy,
        "parameters": result.parameters,
        "loss_history": result.loss_history,
        "iterations": result.iterations,
    }


if __name__ == "__main__":
    out = iris_classifier()
    print(f"test accuracy {out['test_accuracy']:.3f}, train accuracy {out['train_accuracy']:.3f}")
    print(
        f"loss {out['loss_history'][0]:.4f} -> {min(out['loss_history']):.4f} "
        f"in {out['iterations']} iterations"
    )
