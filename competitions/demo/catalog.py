"""The demo catalog: what the "轨道上的京津冀" railway competition looks like.

Plain data only (no database access), read by the rest of ``competitions.demo``. Names are real railway
business systems, job types (工种), metrics and units of the Beijing–Tianjin–Hebei network, so that
the demo and the seed-scale benchmarks look like the system the newspaper page describes:
9 business systems, 94 job types, three regions, a few hundred depots (站段).
"""

from __future__ import annotations

from dataclasses import dataclass

COMPETITION_NAME = "“轨道上的京津冀”铁路职工劳动竞赛"
COMPETITION_DESCRIPTION = (
    "由北京市总工会、天津市总工会、河北省总工会联合主办，中国铁路北京局集团有限公司承办。"
    "9个业务系统94个工种纳入“全天候”量化评比：各单位定期录入职工工作情况，系统每天量化排名，"
    "业务部门每月审核把关，量化排名作为评选先进个人的直接依据。"
)
ORGANIZERS = (("北京市总工会", "BJ"), ("天津市总工会", "TJ"), ("河北省总工会", "HE"))


@dataclass(frozen=True)
class Region:
    code: str  # Region choice value, also the bureau's unit code
    bureau_name: str
    share: float  # share of depots and workers
    employee_prefix: str  # first two digits of a worker's employee number (工号)
    # Place names that depots are named after (北京 + 机务段 = 北京机务段).
    places: tuple[str, ...]
    # Administrative division codes (first 6 digits of the resident ID) where workers were born.
    id_areas: tuple[str, ...]


REGIONS = (
    Region(
        "BJ", "中国铁路北京局集团有限公司（北京地区）", 0.45, "11",
        ("北京", "丰台", "北京西", "北京南", "北京北", "北京东", "双桥", "昌平", "怀柔", "通州", "大兴",
         "房山", "门头沟", "延庆", "顺义", "密云", "平谷", "良乡"),
        ("110101", "110102", "110105", "110106", "110107", "110108", "110111", "110112", "110113",
         "110114", "110115", "110116", "110117", "110118", "110119"),
    ),
    Region(
        "TJ", "中国铁路北京局集团有限公司（天津地区）", 0.22, "12",
        ("天津", "天津西", "天津南", "南仓", "塘沽", "滨海", "蓟州", "静海", "宝坻", "武清", "杨村", "北塘"),
        ("120101", "120102", "120103", "120104", "120105", "120106", "120110", "120111", "120112",
         "120113", "120114", "120115", "120116", "120117", "120118"),
    ),
    Region(
        "HE", "中国铁路北京局集团有限公司（河北地区）", 0.33, "13",
        ("石家庄", "保定", "唐山", "秦皇岛", "邯郸", "邢台", "张家口", "承德", "沧州", "衡水", "廊坊",
         "定州", "山海关", "辛集", "涿州", "霸州", "任丘", "遵化", "迁安", "丰润", "高碑店", "北戴河"),
        ("130102", "130104", "130105", "130108", "130202", "130203", "130302", "130303", "130402",
         "130403", "130502", "130602", "130606", "130702", "130802", "130902", "131002", "131102",
         # Railway families move: some workers were born in neighbouring provinces.
         "140105", "150102", "210102", "370102", "410102"),
    ),
)


@dataclass(frozen=True)
class Metric:
    """One scoring rule of a job type.

    ``typical`` is a middling worker's quantity on a day with an entry; ``frequency`` the share of
    worker-days that have an entry for it (1.0 for a job type's main metric: every day, as the
    page says). ``points_per_unit`` left empty is derived so that a typical day of the main metric
    is worth about 100 points whatever the job: the overall ranking compares drivers with ticket
    sellers, so no job type may out-score the others just by the size of its unit of measure.
    """

    metric: str
    unit: str
    typical: float
    points_per_unit: str | None = None
    daily_cap: str | None = None
    direction: int = 1
    frequency: float = 1.0
    decimals: int = 0


def main(metric, unit, typical, *, cap=None, decimals=0, ppu=None) -> Metric:
    return Metric(metric, unit, typical, ppu, cap, 1, 1.0, decimals)


def bonus(metric, unit, typical, ppu, frequency) -> Metric:
    """An occasional add-on metric (发现故障, 节约电量 …) entered on some days only."""
    return Metric(metric, unit, typical, ppu, None, 1, frequency, 0)


def deduct(metric="安全违章", unit="次", ppu="20", frequency=0.004) -> Metric:
    """A deduction (扣分) metric: rare, one or two a time."""
    return Metric(metric, unit, 1, ppu, None, -1, frequency, 0)


@dataclass(frozen=True)
class JobTypeSpec:
    name: str
    weight: int  # relative headcount within its business system
    metrics: tuple[Metric, ...]
    female_share: float | None = None  # None: the business system's share


@dataclass(frozen=True)
class SystemSpec:
    code: str
    name: str
    share: float  # share of the workforce
    female_share: float
    depot_suffixes: tuple[str, ...]  # 机务段, 机务折返段 …
    workshops: tuple[str, ...]
    job_types: tuple[JobTypeSpec, ...]


def jt(name, weight, *metrics, female=None) -> JobTypeSpec:
    return JobTypeSpec(name, weight, tuple(metrics), female)


SYSTEMS = (
    SystemSpec(
        "CW", "车务", 0.19, 0.30,
        ("车务段", "站", "编组站"),
        ("运转车间", "调车车间", "信号楼车间", "车站车间", "驼峰车间", "综合车间"),
        (
            jt("车站值班员", 8, main("接发列车", "列", 60, cap="300"), deduct()),
            jt("助理值班员", 8, main("接发列车", "列", 70, cap="300")),
            jt("信号员", 8, main("办理进路", "条", 120), deduct("错办进路", "次", "30", 0.002)),
            jt("车站调度员", 4, main("编制调车作业计划", "批", 25)),
            jt("列车调度员", 3, main("调度指挥列车", "列", 150), deduct()),
            jt("调车长", 8, main("调车作业", "钩", 90, cap="400"), deduct()),
            jt("连结员", 12, main("调车作业", "钩", 90, cap="400"), deduct()),
            jt("制动员", 6, main("铁鞋制动", "辆", 110)),
            jt("扳道员", 4, main("扳道作业", "次", 80)),
            jt("车号员", 6, main("核对车号", "辆", 400), bonus("发现票车不符", "件", 1, "5", 0.05)),
            jt("列尾作业员", 4, main("列尾装卸", "列", 30)),
            jt("调车区长", 2, main("指挥调车作业", "钩", 150)),
            jt("行车计划员", 2, main("编制阶段计划", "份", 12)),
            jt("驼峰值班员", 2, main("驼峰解体", "列", 24)),
        ),
    ),
    SystemSpec(
        "KY", "客运", 0.16, 0.65,
        ("客运段", "客运站", "动车客运段"),
        ("客运车间", "售票车间", "乘务车间", "动车乘务车间", "综控车间", "行包车间"),
        (
            jt("客运员", 14, main("服务旅客", "人次", 600), bonus("重点旅客服务", "人次", 3, "4", 0.2),
               deduct("旅客投诉", "件", "20", 0.003)),
            jt("售票员", 8, main("售票张数", "张", 700, cap="2000"), deduct("票款差错", "次", "20", 0.003),
               female=0.8),
            jt("检票员", 6, main("检票", "人次", 1500, cap="5000")),
            jt("客运值班员", 3, main("组织乘降", "趟", 40)),
            jt("客运计划员", 2, main("编制客运计划", "份", 10)),
            jt("综控员", 3, main("监控列车到发", "列", 120)),
            jt("列车员", 16, main("值乘时长", "小时", 10, decimals=1, cap="16"),
               deduct("旅客投诉", "件", "20", 0.003), female=0.75),
            jt("列车长", 5, main("值乘里程", "公里", 900, decimals=1), bonus("旅客表扬", "次", 1, "10", 0.1)),
            jt("动车组列车员", 10, main("值乘时长", "小时", 9, decimals=1, cap="16"), female=0.9),
            jt("行李员", 3, main("装卸行包", "件", 350)),
            jt("餐车服务员", 3, main("餐饮服务", "人次", 180)),
        ),
    ),
    SystemSpec(
        "HY", "货运", 0.06, 0.25,
        ("货运中心", "货运营业部", "物流中心"),
        ("货运车间", "装卸车间", "货检车间", "营销车间", "集装箱车间"),
        (
            jt("货运员", 10, main("货物承运", "批", 18)),
            jt("货运检查员", 8, main("检查货车", "辆", 160), bonus("发现装载隐患", "处", 1, "8", 0.08),
               deduct("漏检", "辆", "30", 0.002)),
            jt("货运核算员", 4, main("制票核算", "票", 60), deduct("核算差错", "票", "15", 0.002)),
            jt("货运调度员", 3, main("编制装车计划", "车", 200)),
            jt("装卸机械司机", 6, main("装卸作业", "吨", 900, decimals=1, cap="3000"), deduct()),
            jt("装卸工", 8, main("装卸作业", "吨", 120, decimals=1)),
            jt("货运计量员", 3, main("轨道衡计量", "辆", 250)),
            jt("货运营销员", 3, main("新增货源", "吨", 500, decimals=1)),
            jt("集装箱管理员", 3, main("集装箱作业", "箱", 80)),
        ),
    ),
    SystemSpec(
        "JW", "机务", 0.17, 0.06,
        ("机务段", "机务折返段", "机车运用段"),
        ("运用车间", "检修车间", "整备车间", "动车运用车间", "技术科车间", "救援车间"),
        (
            jt("电力机车司机", 14, main("安全走行公里", "公里", 400, decimals=1, cap="1200"),
               bonus("节约电量", "千瓦时", 300, "0.05", 0.3), deduct()),
            jt("内燃机车司机", 6, main("安全走行公里", "公里", 300, decimals=1, cap="1000"),
               bonus("节约燃油", "升", 60, "0.2", 0.3), deduct()),
            jt("动车组司机", 6, main("安全走行公里", "公里", 900, decimals=1, cap="2000"), deduct()),
            jt("机车副司机", 10, main("值乘公里", "公里", 400, decimals=1, cap="1200")),
            jt("机车调度员", 2, main("机车交路调度", "台次", 80)),
            jt("指导司机", 2, main("添乘指导", "趟", 3), bonus("发现安全隐患", "处", 1, "10", 0.1)),
            jt("地勤司机", 4, main("机车出入库", "台次", 20)),
            jt("机车整备工", 5, main("机车整备", "台次", 12)),
            jt("机车钳工", 6, main("机车检修", "台", 3), deduct("检修质量问题", "件", "20", 0.003)),
            jt("机车电工", 4, main("电器检修", "台", 4)),
            jt("机车质量检查员", 2, main("质量检查", "台", 8)),
            jt("LKJ数据分析员", 2, main("分析运行记录", "趟", 40), bonus("发现违章操纵", "件", 1, "8", 0.1)),
        ),
    ),
    SystemSpec(
        "CL", "车辆", 0.12, 0.15,
        ("车辆段", "动车段", "车辆运用段"),
        ("列检车间", "检修车间", "动车运用所", "轮轴车间", "客车整备车间", "动态检车车间"),
        (
            jt("货车检车员", 14, main("检车辆数", "辆", 120), bonus("发现故障", "件", 1, "10", 0.15),
               deduct("漏检", "辆", "30", 0.002)),
            jt("客车检车员", 6, main("检车辆数", "辆", 50)),
            jt("动态检车员", 6, main("图像检查", "辆", 700, cap="2000"), bonus("发现故障", "件", 1, "10", 0.1)),
            jt("动车组机械师", 8, main("值乘保障", "列", 2)),
            jt("动车组地勤机械师", 8, main("一二级修", "组", 3)),
            jt("车辆钳工", 8, main("车辆检修", "辆", 6)),
            jt("车辆电工", 4, main("电气检修", "辆", 8)),
            jt("制动钳工", 3, main("检修制动阀", "个", 20)),
            jt("轮轴探伤工", 3, main("轮轴探伤", "根", 40), bonus("发现裂损", "处", 1, "15", 0.03)),
            jt("客车乘务检车员", 4, main("值乘里程", "公里", 800, decimals=1)),
            jt("车辆调度员", 2, main("调度车辆", "辆", 300)),
            jt("空调检修工", 2, main("空调检修", "台", 6)),
        ),
    ),
    SystemSpec(
        "GW", "工务", 0.14, 0.08,
        ("工务段", "桥工段", "高铁工务段"),
        ("线路车间", "桥隧车间", "探伤车间", "综合维修车间", "大机车间", "线路检查车间"),
        (
            jt("线路工", 20, main("线路养护", "米", 300, cap="1500"), deduct("作业违章", "次", "20", 0.004)),
            jt("桥隧工", 6, main("桥隧检修", "延米", 80)),
            jt("探伤工", 5, main("钢轨探伤", "公里", 12, decimals=1, cap="40"),
               bonus("发现钢轨重伤", "处", 1, "30", 0.03)),
            jt("巡道工", 6, main("巡道", "公里", 20, decimals=1, cap="60")),
            jt("道口看守员", 4, main("道口安全放行", "次", 150)),
            jt("大型养路机械司机", 3, main("机械捣固", "公里", 2, decimals=1)),
            jt("轨道车司机", 2, main("运行公里", "公里", 60, decimals=1)),
            jt("钢轨焊接工", 2, main("焊接接头", "个", 6)),
            jt("线路检查工", 3, main("轨道检查", "公里", 15, decimals=1)),
            jt("综合维修工", 5, main("维修作业", "处", 30)),
            jt("路基工", 2, main("路基整治", "平方米", 120, decimals=1)),
        ),
    ),
    SystemSpec(
        "DW", "电务", 0.07, 0.12,
        ("电务段", "通信段", "高铁电务段"),
        ("信号车间", "通信车间", "车载车间", "检测车间", "驼峰车间"),
        (
            jt("信号工", 16, main("信号设备检修", "台", 25), deduct("设备故障延时", "件", "20", 0.002)),
            jt("通信工", 8, main("通信设备检修", "台", 20)),
            jt("信号测试工", 3, main("测试项目", "项", 60)),
            jt("驼峰信号工", 2, main("驼峰设备检修", "台", 15)),
            jt("车载设备工", 4, main("车载设备检测", "台", 10)),
            jt("电务调度员", 2, main("调度处置", "件", 30)),
            jt("通信线路工", 4, main("线路巡检", "公里", 25, decimals=1)),
            jt("无线通信工", 2, main("基站巡检", "站", 6)),
            jt("信号微机监测员", 2, main("监测分析", "站", 40), bonus("发现设备隐患", "处", 1, "10", 0.1)),
            jt("转辙机检修工", 3, main("转辙机检修", "台", 8)),
        ),
    ),
    SystemSpec(
        "GD", "供电", 0.06, 0.12,
        ("供电段", "高铁供电段", "电力段"),
        ("接触网车间", "变电车间", "电力车间", "检测车间", "综合车间"),
        (
            jt("接触网工", 16, main("接触网检修", "跨", 30), deduct("作业违章", "次", "20", 0.004)),
            jt("接触网作业车司机", 3, main("作业车运行", "公里", 50, decimals=1)),
            jt("变电值班员", 5, main("倒闸作业", "次", 12), deduct("误操作", "次", "50", 0.001)),
            jt("变电检修工", 4, main("设备检修", "台", 6)),
            jt("电力线路工", 6, main("电力线路巡检", "公里", 20, decimals=1)),
            jt("电力调度员", 2, main("下达调度命令", "条", 60)),
            jt("配电值班员", 3, main("巡视设备", "次", 24)),
            jt("接触网检测员", 2, main("检测数据分析", "公里", 150, decimals=1)),
            jt("高压试验工", 2, main("试验设备", "台", 8)),
        ),
    ),
    SystemSpec(
        "FJ", "房建", 0.03, 0.35,
        ("房建公寓段", "房建段"),
        ("房屋维修车间", "给水车间", "暖通车间", "公寓车间"),
        (
            jt("房屋维修工", 6, main("房屋修缮", "平方米", 40, decimals=1)),
            jt("给水工", 4, main("给水设备检修", "台", 10)),
            jt("锅炉工", 3, main("锅炉运行", "小时", 12, decimals=1, cap="24")),
            jt("暖通工", 3, main("暖通设备检修", "台", 8)),
            jt("公寓服务员", 6, main("接待乘务员", "人次", 60), female=0.8),
            jt("房建电工", 3, main("电气检修", "处", 12)),
        ),
    ),
)

# Workers per depot at seed scale: 223,000 workers over roughly 320 depots.
WORKERS_PER_DEPOT = 700
MIN_DEPOTS = 18
WORKERS_PER_TEAM = 30

# 新八级工 grade shares (学徒工 … 首席技师); older workers lean to the higher grades.
SKILL_GRADE_WEIGHTS = (3, 22, 33, 25, 11, 4, 1.5, 0.5)

REJECT_REASONS = (
    "工作量与作业台账不符，请核实后重新提交",
    "超出班组当日作业计划，请补充说明",
    "缺少作业记录或交接班簿依据",
    "工作日期录入有误",
    "计量单位换算错误",
)

# Surnames roughly by frequency in northern China (most common first, repeated to weight them).
SURNAMES = (
    "王王王王王李李李李李张张张张张刘刘刘刘陈陈陈杨杨杨赵赵赵黄黄周周吴吴徐徐孙孙胡胡朱朱高高林何郭郭马马"
    "罗梁宋宋郑郑谢韩韩唐冯于于董董萧程曹曹袁邓许傅沈曾彭吕苏卢蒋蔡贾贾丁魏魏薛叶阎余潘杜戴夏钟汪田田任任"
    "姜范方石石姚谭廖邹熊金陆郝郝孔白白崔崔康毛邱秦江史史顾侯侯邵孟孟龙万段雷钱汤尹黎易常常武武乔贺赖龚文"
    "庞樊兰殷施陶洪翟安颜倪严牛牛温芦季俞章鲁葛伍韦申尤毕聂丛焦向柳邢邢岳齐齐沿梅莫庄辛管祝左涂谷祁时舒耿耿"
)
GIVEN_MALE = (
    "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰"
    "涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦"
    "亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"
)
GIVEN_FEMALE = (
    "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼"
    "勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰"
    "韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"
)

# Mobile number prefixes of the three mainland carriers.
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "177", "180", "181", "182", "183", "185", "186", "187",
    "188", "189", "198", "199",
)


@dataclass(frozen=True)
class DemoAccount:
    role: str  # shown in the printed table
    username: str
    password: str
    scope: str = ""


# One fixed, printed password per demo account: the demo is for trying every role, not for secrets.
# The demo depot is the first 机务 depot in Beijing (北京机务段); its system's reviewer is the demo reviewer.
DEMO_SYSTEM_CODE = "JW"
DEMO_REGION_CODE = "BJ"
ADMIN = DemoAccount("工会干部（管理后台）", "admin", "Admin@2026")
CLERK = DemoAccount("单位录入员", "clerk", "Clerk@2026")
REVIEWER = DemoAccount("业务部门审核员", "reviewer", "Review@2026")
WORKER_PASSWORD = "Worker@2026"
# The demo depot's union officer (基层工会干部, User.union_units): decides its enrollment forms.
UNION_OFFICER = DemoAccount("基层工会干部", "union", "Union@2026")

# Rules whose rate was raised from the first day of the current month (a second RuleVersion), so
# the demo shows that a rate change applies from its day on and never rewrites earlier points.
RATE_RAISES = {"探伤工": "1.2", "货车检车员": "1.2"}
