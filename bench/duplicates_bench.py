"""Issue 16: the cost of the duplicate check on a case page, and of an audited write.

Usage: cd bench && BENCH_DATABASE=tcd_bench_dup ../.venv/bin/python duplicates_bench.py [--cases 300]
Prints CPU seconds (this process: Python + decryption; PostgreSQL's share is not in it) and wall time per
``duplicates.find`` over a province with ``--cases`` cases among its communes, most similar to nothing,
a few copies of one petition; and per ``audit.services.record`` (the hash chain's append).
"""

from __future__ import annotations

import argparse
import random
import time

from common import prepare_environment, setup_django, summary

WORDS = ("đất nông nghiệp thu hồi bồi thường hỗ trợ tái định cư giấy chứng nhận quyền sử dụng tranh chấp ranh giới "
         "xây dựng trái phép chính sách người có công bảo hiểm xã hội lương hưu trợ cấp hộ nghèo môi trường ô nhiễm "
         "nước thải tiếng ồn đường giao thông cán bộ thái độ thủ tục hành chính chậm trễ").split()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    prepare_environment(fresh=True)
    setup_django()
    from accounts.models import Role, User
    from accounts.services import grant_role
    from audit.services import record
    from cases import duplicates, services
    from offices.models import Office

    province = Office.objects.get(code="T01")
    communes = list(Office.objects.filter(parent=province)[:5])
    inspector = User.objects.create(username="bench-inspector", full_name="Thanh tra")
    grant_role(None, inspector, province, Role.INSPECTOR)
    rng = random.Random(16)
    petition = " ".join(rng.choice(WORDS) for _ in range(60))
    cases = []
    for i in range(args.cases):
        summary_text = petition if i % 60 == 0 else " ".join(rng.choice(WORDS) for _ in range(60))
        cases.append(services.create_case(
            by=None, office=communes[i % len(communes)], kind="petition", summary=summary_text,
            parties=[{"full_name": f"Công dân {i}", "id_number": f"0010850{i:05d}"}]))
    target = cases[0]
    found = duplicates.find(inspector, target)
    print(f"{args.cases} cases; matches for the target: {len(found)}")
    walls, cpus = [], []
    for _ in range(args.runs):
        w, c = time.perf_counter(), time.process_time()
        duplicates.find(inspector, target)
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    print("duplicates.find wall:", summary(walls))
    print("duplicates.find CPU :", summary(cpus))
    walls, cpus = [], []
    for i in range(300):
        w, c = time.perf_counter(), time.process_time()
        record(actor=inspector, action="bench.write", target_type="bench", target_id=i, details={"i": i})
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    print("audit record wall:", summary(walls))
    print("audit record CPU :", summary(cpus))


if __name__ == "__main__":
    main()
