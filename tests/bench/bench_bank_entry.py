"""Benchmark of the bank-entry companion (not a unit test).

    python tests/bench/bench_bank_entry.py [results.jsonl]

Times validation (prepare_panel) and the fit with all four covariance types on SYNTHETIC panels
of 20 (the bundled size), 200 and 2,000 countries × 3 years. Also checks how far the estimates
are from the true coefficients as N grows. Prints a table and, given a path, appends one JSON
line with the results.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from zhengce.companions.bank_entry import TRUE_COEFFICIENTS, BankEntryOLS, generate_sample  # noqa: E402
from zhengce.companions.bank_entry.loader import prepare_panel  # noqa: E402


def peak_rss_mb() -> float:
    """This process's own peak (VmHWM; zhengce.common.memory): ru_maxrss would include the RSS of the
    process that started this one."""
    from zhengce.common.memory import peak_rss_mb as vmhwm

    return vmhwm()


def run(n_countries: int, random_state: int = 1) -> dict:
    panel = generate_sample(random_state, n_countries=n_countries, n_missing=min(2, n_countries))
    t0 = time.perf_counter()
    prepare_panel(panel)
    t1 = time.perf_counter()
    model = BankEntryOLS().fit(panel)
    t2 = time.perf_counter()
    errors = {term: float(model.coefficient(term)["coef"] - truth)
              for term, truth in TRUE_COEFFICIENTS.items()}
    return {"n_countries": n_countries, "n_obs": model.n_obs_,
            "validate_s": round(t1 - t0, 4), "fit_s": round(t2 - t1, 4),
            "tax_error": errors["tax"], "bi_error": errors["bi"],
            "tax_se_cluster": float(model.coefficient("tax", "cluster")["se"]),
            "peak_rss_mb": round(peak_rss_mb(), 1)}


def main(argv: list[str]) -> None:
    rows = [run(n) for n in (20, 200, 2000)]
    print(f"{'countries':>9} {'N':>6} {'validate s':>10} {'fit s':>7} {'TAX err':>9} "
          f"{'BI err':>9} {'TAX SE(cl)':>10} {'peak MB':>8}")
    for r in rows:
        print(f"{r['n_countries']:>9} {r['n_obs']:>6} {r['validate_s']:>10.3f} {r['fit_s']:>7.3f} "
              f"{r['tax_error']:>9.4f} {r['bi_error']:>9.5f} {r['tax_se_cluster']:>10.5f} "
              f"{r['peak_rss_mb']:>8.1f}")
    if len(argv) > 1:
        record = {"bench": "bank_entry", "python": platform.python_version(),
                  "machine": platform.machine(), "results": rows}
        with open(argv[1], "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main(sys.argv)
