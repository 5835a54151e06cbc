"""Reception log (sổ tiếp công dân) XLSX export: time, size and peak memory for N rows streamed from a
generator through ``documents.render.reception_log_xlsx`` (openpyxl write-only).

Usage (from bench/):
  ../.venv/bin/python reception_log_bench.py --rows 100000
      runs 10,000 rows and then --rows rows, each measurement in a fresh process so that ru_maxrss (the
      process's peak resident size, which can never go down) belongs to that run alone:
        * a timed run (no tracemalloc: it slows allocation-heavy code 2-3x) → seconds, rows/s, file size,
          ru_maxrss, and ru_maxrss before the export (Python + Django + openpyxl imported);
        * a traced run → tracemalloc peak of Python allocations during the export.
      Flat memory = the same peaks at 10,000 and 100,000 rows.
  ../.venv/bin/python reception_log_bench.py --child time|trace --rows N   (one measurement, JSON on stdout)
No database is needed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Quốc", "Minh", "Thanh", "Ngọc", "Xuân", "Thu"]
GIVEN = ["Hường", "Việt", "Ngữ", "Dũng", "Hạnh", "Phúc", "Tuấn", "Hằng", "Nguyệt", "Lộc", "Thủy", "Khoa", "Yến", "Đạt", "Sơn"]
PLACES = ["xã Tân Phú, tỉnh Đồng Nai", "phường Ba Đình, thành phố Hà Nội", "xã Hòa Vang, thành phố Đà Nẵng",
          "phường Thuận Hóa, thành phố Huế", "xã Mường Tè, tỉnh Lai Châu"]
SUMMARIES = ["Khiếu nại quyết định thu hồi đất và bồi thường giải phóng mặt bằng",
             "Kiến nghị cấp giấy chứng nhận quyền sử dụng đất", "Phản ánh việc xây dựng trái phép gây ảnh hưởng",
             "Tố cáo cán bộ địa chính có hành vi nhũng nhiễu", "Khiếu nại về chế độ chính sách người có công"]
KINDS = ["complaint", "complaint", "petition", "report", "denunciation"]


def rows(n: int, seed: int = 7):
    """ReceptionLogRow one at a time: the export never sees a list."""
    from documents.forms import ReceptionLogRow

    rnd = random.Random(seed)
    start = date(2025, 12, 15)
    for i in range(1, n + 1):
        kind = KINDS[i % len(KINDS)]
        yield ReceptionLogRow(
            ordinal=i, received_on=start + timedelta(days=i % 365),
            citizen_name=f"{rnd.choice(FAMILY)} {rnd.choice(MIDDLE)} {rnd.choice(GIVEN)}",
            citizen_address=f"Số {rnd.randint(1, 999)}, thôn {rnd.randint(1, 20)}, {rnd.choice(PLACES)}",
            id_document=f"CCCD {rnd.randint(10**11, 10**12 - 1)}", summary=SUMMARIES[i % len(SUMMARIES)],
            kind=kind, people_count=rnd.choice((1, 1, 1, 2, 6, 12)), previously_handled_by="UBND xã" if i % 3 else "",
            accepted=i % 4 == 0, guidance_body="Tòa án nhân dân khu vực" if i % 4 == 1 else "",
            guidance_document_number=f"{i}/HD-TCD" if i % 4 == 1 else "",
            transfer_body="Sở Nông nghiệp và Môi trường" if i % 4 == 2 else "",
            transfer_document_number=f"{i}/CV-TCD" if i % 4 == 2 else "",
            follow_up="Đã có văn bản trả lời" if i % 5 == 0 else "", notes="")


def child(mode: str, n: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import openpyxl  # noqa: F401  (imported before the baseline)

    from documents.render import reception_log_xlsx

    baseline_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
        if mode == "trace":
            import tracemalloc

            tracemalloc.start()
        t0 = time.perf_counter()
        written = reception_log_xlsx(rows(n), tmp, office_name="Ủy ban nhân dân xã Tân Phú",
                                     date_from=date(2025, 12, 15), date_to=date(2026, 12, 14))
        tmp.flush()
        seconds = time.perf_counter() - t0
        result = {"mode": mode, "rows": written, "seconds": round(seconds, 2), "bytes": os.path.getsize(tmp.name),
                  "ru_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "baseline_kib": baseline_kib}
        if mode == "trace":
            result["tracemalloc_peak_bytes"] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    return result


def run_child(mode: str, n: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--rows", str(n)], check=True,
                         capture_output=True, text=True, cwd=Path(__file__).parent)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--child", choices=("time", "trace"))
    args = parser.parse_args()
    if args.child:
        import logging

        logging.disable(logging.CRITICAL)
        print(json.dumps(child(args.child, args.rows)))
        return
    sizes = sorted({10_000, args.rows})
    print(f"{'rows':>8} {'seconds':>8} {'rows/s':>8} {'size MiB':>9} {'tracemalloc peak MiB':>21} "
          f"{'ru_maxrss MiB':>14} {'(before export)':>16}")
    for n in sizes:
        timed = run_child("time", n)
        traced = run_child("trace", n)
        print(f"{timed['rows']:>8} {timed['seconds']:>8.2f} {timed['rows'] / timed['seconds']:>8.0f} "
              f"{timed['bytes'] / 2**20:>9.2f} {traced['tracemalloc_peak_bytes'] / 2**20:>21.2f} "
              f"{timed['ru_maxrss_kib'] / 1024:>14.1f} {timed['baseline_kib'] / 1024:>16.1f}", flush=True)
    print("tracemalloc peak: Python allocations during the export only (traced run, slower, time not shown);\n"
          "ru_maxrss: peak resident size of the whole timed process (Linux, KiB → MiB).")


if __name__ == "__main__":
    main()
