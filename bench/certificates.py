"""Award certificates: the time to build one PDF of N certificates (one A4 page each, the Chinese font embedded
as a subset), and the 表彰名单 .xlsx beside it, as a finalized round's background task builds them.

    .venv/bin/python bench/certificates.py                 # 70 certificates (the newspaper's 70 chosen), 3 runs
    .venv/bin/python bench/certificates.py --people 500    # a bigger list

No database: the documents are built from the list (competitions.honours.documents.certificates_pdf and
roster_xlsx), which the task reads in one query. Names, units and titles are as long as real ones get.
Prints each run and the best; the target is 70 certificates in at most 30 s.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 30.0
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "建国志强海涛秀英桂兰明华丽娟伟刚敏静磊洋勇军杰娜涛超平红艳鹏飞宇浩然子轩梓涵一诺欣怡雨泽博文思远嘉怡"


def people(n: int):
    from competitions.honours.documents import Honoree

    out = []
    for i in range(n):
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)] + GIVEN[(i * 13 + 3) % len(GIVEN)]
        out.append(Honoree(
            position=i + 1, name=name, employee_no=f"BJ{100000 + i}", depot=f"北京局集团公司第{i % 12 + 1}机务段",
            team=f"运用车间第{i % 9 + 1}乘务指导组", job_type="电力机车司机", business_system="机务",
            approved_points=Decimal(9000 - 13 * i) / 10, rank=i + 1, participants=None, average_points=None))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=70)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    # Settings only (translations, the font setting): nothing here connects to a database.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("DATABASE_URL", "postgres://bench@127.0.0.1:5432/unused")
    import django

    django.setup()
    from types import SimpleNamespace

    from competitions.honours.documents import CertificateTerms, certificate_font, certificates_pdf, roster_xlsx

    font = certificate_font()
    terms = CertificateTerms(award="2026年度“轨道上的京津冀”劳动竞赛先进个人", competition="“轨道上的京津冀”劳动竞赛",
                             issuers=["北京市总工会", "天津市总工会", "河北省总工会"],
                             issued=datetime(2026, 12, 5, 8, 0, tzinfo=UTC), collective=False, number_prefix="1")
    listed = people(args.people)
    print(f"font: {font} ({font.stat().st_size / 1e6:.1f} MB)")
    best = None
    for run in range(1, args.runs + 1):
        started = time.perf_counter()
        pdf = certificates_pdf(terms, listed, font)
        pdf_seconds = time.perf_counter() - started
        started = time.perf_counter()
        xlsx = roster_xlsx(SimpleNamespace(is_collective=False), listed)
        xlsx_seconds = time.perf_counter() - started
        print(f"run {run}: {args.people} certificates, PDF {len(pdf) / 1024:.0f} KiB in {pdf_seconds:.2f} s "
              f"(sha256 {hashlib.sha256(pdf).hexdigest()[:12]}); 表彰名单 xlsx {len(xlsx) / 1024:.0f} KiB in "
              f"{xlsx_seconds:.2f} s")
        best = pdf_seconds if best is None else min(best, pdf_seconds)
    if args.people == 70:
        verdict = "within" if best <= TARGET_SECONDS else "OVER"
        print(f"best: {best:.2f} s for 70 certificates ({verdict} the target of {TARGET_SECONDS:.0f} s)")
    else:
        print(f"best: {best:.2f} s for {args.people} certificates (the target, {TARGET_SECONDS:.0f} s, is for 70)")


if __name__ == "__main__":
    main()
