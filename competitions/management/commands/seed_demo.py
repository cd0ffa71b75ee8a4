"""manage.py seed_demo: demo data and demo accounts for every role (see competitions.demo)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from competitions.demo import (
    SeedError,
    demo_data_exists,
    existing_accounts,
    format_accounts,
    reset_demo_data,
    seed_dashboard,
    seed_demo,
    seed_standings,
)

# Computing every demo day's standings is instant for the demo and minutes at seed scale.
STANDINGS_AUTO_MAX_WORKERS = 20_000


class Command(BaseCommand):
    help = "生成“轨道上的京津冀”劳动竞赛演示数据（业务系统、工种、计分规则、单位、职工、每日录入）和各角色演示账号。"

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=2000, help="职工人数（默认 2000；种子规模为 223000）")
        parser.add_argument("--days", type=int, default=30, help="录入天数：截至昨天的最近 N 天（默认 30）")
        parser.add_argument("--seed", type=int, default=2024, help="随机种子：相同种子生成相同数据（默认 2024）")
        parser.add_argument("--today", type=date.fromisoformat, default=None,
                            help="视为“今天”的日期 YYYY-MM-DD（默认今天；用于可重复的基准测试）")
        parser.add_argument("--if-empty", action="store_true",
                            help="已有数据时不做任何改动，只显示演示账号（.ci/demo 重复运行时使用）")
        parser.add_argument("--reset", action="store_true", help="先清空演示数据再生成")
        parser.add_argument("--standings", choices=["auto", "all", "none"], default="auto",
                            help="生成后逐日计算排名（默认 auto：职工不超过 20000 人时计算全部天数）")
        parser.add_argument("--index-mode", choices=["auto", "rebuild", "keep"], default="auto",
                            help="批量写入录入时是否先删后建索引（默认 auto：数据量大时重建）")

    def handle(self, *args, **opts):
        try:
            if opts["reset"]:
                reset_demo_data(log=self.stdout.write)
            elif demo_data_exists() and opts["if_empty"]:
                self.stdout.write("数据库中已有数据，未做改动。")
                if opts["standings"] != "none":
                    seed_standings(log=self.stdout.write)  # a no-op when standings exist
                    # A demo built before the dashboard was computed here gets its figures now.
                    seed_dashboard(today=opts["today"], log=self.stdout.write)
                self._print_accounts(existing_accounts())
                return
            rebuild = {"auto": None, "rebuild": True, "keep": False}[opts["index_mode"]]
            report = seed_demo(workers=opts["workers"], days=opts["days"], seed=opts["seed"], today=opts["today"],
                               rebuild_indexes=rebuild, log=self.stdout.write)
        except SeedError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(
            "演示数据已生成：" + "，".join(f"{label} {n:,}" for label, n in report.counts.items())
        ))
        self.stdout.write(f"用时 {report.timings[-1][1]:.1f} 秒。")
        standings = opts["standings"]
        if standings == "all" or (standings == "auto" and opts["workers"] <= STANDINGS_AUTO_MAX_WORKERS):
            seed_standings(log=self.stdout.write)
            # With the standings (the same size limit): its top tens and participation read them.
            seed_dashboard(today=opts["today"], log=self.stdout.write)
        else:
            self.stdout.write("未计算排名；需要时运行 manage.py recompute_standings。")
        self._print_accounts(report.accounts)

    def _print_accounts(self, accounts):
        self.stdout.write("")
        self.stdout.write("演示账号（管理后台 /admin/，门户 /）：")
        self.stdout.write(format_accounts(accounts))
        self.stdout.write("")
