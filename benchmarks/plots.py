"""The PNG plots of a `make bench` run, drawn from its latest.json figures into RESULTS."""

from benchmarks.paths import RESULTS


def plots(latest: dict) -> None:
    # Headless (no display here); pyplot must be imported after the backend is chosen.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = latest["by_size"]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    xs = [s["articles"] for s in sizes]
    ax.plot(xs, [s["p50_ms"] for s in sizes], marker="o", label="p50")
    ax.plot(xs, [s["p95_ms"] for s in sizes], marker="o", label="p95")
    ax.set(xlabel="articles indexed", ylabel="/api/ask in-process (ms)", title="Latency vs corpus size")
    ax.legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "latency_vs_size.png", dpi=120)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.bar(["raw model", "citeline ingest"], [latest["raw_units_per_s"], latest["our_units_per_s"]])
    ax.set(ylabel="units per second", title=f"Ingest throughput (ratio {latest['ingest_ratio']:.2f})")
    fig.tight_layout()
    fig.savefig(RESULTS / "ingest_throughput.png", dpi=120)
