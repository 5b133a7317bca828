"""Chinese for the leaders' dashboard (see locale/translate_zh.py)."""

ZH = {
    "Leaders' dashboard": "领导驾驶舱",
    "Leaders' dashboard — %(office)s, %(month)s": "领导驾驶舱 — %(office)s，%(month)s",
    "The charts are not installed on this server: run make demo (or scripts/bootstrap.sh) to install them. Every figure is in the tables below.": "本服务器尚未安装图表组件：请运行 make demo（或 scripts/bootstrap.sh）安装。下方表格中已列出全部数据。",
    # Headline figures
    "vs. same period last year": "较上年同期",
    "no figures for the same period last year": "上年同期无数据",
    "%(points)s percentage points": "%(points)s 个百分点",
    "claims: %(count)s": "共 %(count)s 件",
    "offices below holding back premium: %(count)s": "保费滞留的下级单位：%(count)s 个",
    "open claims with a flag": "带风险提示的在办理赔（件）",
    "claims in review now; %(count)s past the hard limit": "在办理赔（件），其中 %(count)s 件超过最长时限",
    "Median working days to payment": "理赔时效中位数（工作日）",
    "90 percent within %(days)s working days": "九成在 %(days)s 个工作日内赔付",
    "no claim paid in the month": "本月没有赔付的理赔",
    "Year-to-date figures run from 1 January %(year)s to the end of %(month)s and are compared with the same months of the year before. People and premium count by the date they were enrolled, claims by the date they were paid; the loss ratio is claims paid against premium. Remittances, risk flags and the claims past their target are as of today.": "本年累计数据为 %(year)s 年 1 月 1 日至 %(month)s 月末，与上年同期相比。参保人数和保费按参保日期统计，理赔按赔付日期统计；赔付率为赔付金额与保费之比。保费上解、风险提示和超过目标时限的理赔为截至今天的情况。",
    "Figures read at %(time)s.": "数据读取于 %(time)s。",
    # Trends
    "The last 12 months": "近 12 个月",
    "Figures by month": "逐月数据",
    "People enrolled": "参保人数",
    "Number of claims paid": "赔付件数",
    "Paid (yuan)": "赔付金额（元）",
    # Child offices
    "Child offices": "下级单位",
    # Turnaround
    "Claims turnaround in %(month)s": "%(month)s 理赔时效",
    "Claims paid: %(count)s. Counted in working days from complete documents to payment, half were paid within %(median)s and 90 percent within %(p90)s; %(within)s within their office's target.": "赔付 %(count)s 件。自资料齐全至赔付按工作日计，半数在 %(median)s 个工作日内赔付，九成在 %(p90)s 个工作日内；%(within)s 在审核单位的目标时限内。",
    "Median (working days)": "中位数（工作日）",
    "90th percentile (working days)": "九成分位数（工作日）",
    "Within target": "在目标时限内",
    # Remittances and risk flags
    "No premium is held back below.": "下级单位没有保费滞留。",
    "Open claims": "在办理赔件数",
    "Invoice already used in another claim": "发票已在其他理赔中使用",
    "Admitted soon after the coverage started": "保障开始后不久即入院",
    "Many claims of one member in the period": "同一会员本保障期理赔次数较多",
    "Payout above the threshold": "赔付金额超过提示额度",
    "Hospital stays that overlap": "住院日期与其他理赔重叠",
}
