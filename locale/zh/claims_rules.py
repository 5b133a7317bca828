"""Chinese for the messages of claims/rules.py (benefit schedules and settlement lines).

Read by locale/translate_zh.py after `makemessages`; tests/test_claims_rules.py checks that every
message of the module has an entry here, with the same placeholders.
"""

ZH = {
    # Settlement lines
    "Self-paid %(low)s–%(high)s yuan part × %(ratio)s": "自付 %(low)s–%(high)s 元部分 × %(ratio)s",
    "Self-paid part above %(low)s yuan × %(ratio)s": "自付超过 %(low)s 元部分 × %(ratio)s",
    "Self-paid amount × %(ratio)s": "自付部分 × %(ratio)s",
    "Whole self-paid amount of %(amount)s yuan (band %(low)s–%(high)s yuan) × %(ratio)s": "自付 %(amount)s 元全额（%(low)s–%(high)s 元档）× %(ratio)s",
    "Whole self-paid amount of %(amount)s yuan (band above %(low)s yuan) × %(ratio)s": "自付 %(amount)s 元全额（%(low)s 元以上档）× %(ratio)s",
    "%(line)s × %(shares)s shares": "%(line)s × %(shares)s 份",
    "Plan deductible: the first %(amount)s yuan of the self-paid amount is not paid": "本计划起付线：自付金额中前 %(amount)s 元不予给付",
    "Hospital deductible part of %(amount)s yuan × %(ratio)s": "医保起付标准部分 %(amount)s 元 × %(ratio)s",
    "Hospital allowance: %(days)s days × %(rate)s yuan": "住院津贴：%(days)s 天 × %(rate)s 元",
    "Hospital allowance from day %(from_day)s: %(days)s days × %(rate)s yuan": "住院津贴（自第 %(from_day)s 天起）：%(days)s 天 × %(rate)s 元",
    "Limited to the %(amount)s yuan left under the period cap": "受本期给付限额限制，仅付剩余的 %(amount)s 元",
    "Raised to the minimum payout of %(amount)s yuan": "按最低给付标准补足至 %(amount)s 元",
    "Refused: this member has already had %(count)s claims in this period, and the plan allows at most %(limit)s.": "不予给付：该会员本期已理赔 %(count)s 次，本计划每期最多理赔 %(limit)s 次。",
    # Schedule errors
    "The schedule must be a JSON object of field names and values: check the schedule.": "给付方案应为由字段名和值组成的JSON对象，请检查给付方案。",
    "Unknown field %(name)s in the schedule: check its spelling against the schedule fields.": "给付方案中有未知字段 %(name)s，请对照方案字段检查拼写。",
    "%(name)s must be an amount such as 5000 or 0.8: check the value.": "%(name)s 应为数值，如5000或0.8，请检查填写的值。",
    "%(name)s must not be negative: enter 0 or a positive amount.": "%(name)s 不能为负数，请填写0或正数金额。",
    "%(name)s must be a ratio between 0 and 1, such as 0.8 for 80 percent: check the value.": "%(name)s 应为0到1之间的比例，如0.8表示80％，请检查填写的值。",
    "%(name)s must be a whole number: check the value.": "%(name)s 应为整数，请检查填写的值。",
    "%(name)s must be %(minimum)s or more: check the value.": "%(name)s 不能小于 %(minimum)s，请检查填写的值。",
    "%(name)s must be true or false: check the value.": "%(name)s 应为 true 或 false，请检查填写的值。",
    "Unknown segment_mode %(value)s: use progressive or band.": "未知的分段方式 %(value)s，请使用 progressive（累进）或 band（分档）。",
    "Unknown rounding %(value)s: use fen_half_up, jiao_half_up, yuan_half_up or yuan_down.": "未知的取整方式 %(value)s，请使用 fen_half_up、jiao_half_up、yuan_half_up 或 yuan_down。",
    "allowance_by_membership_year must be a list of daily amounts, one for each membership year: check the schedule.": "allowance_by_membership_year 应为每个参保年度一项的日津贴金额列表，请检查给付方案。",
    "segments must be a list of entries with upto and ratio: check the schedule.": "segments 应为由 upto 和 ratio 组成的列表，请检查给付方案。",
    "Segment %(number)s must have exactly the fields upto and ratio: check the schedule.": "第 %(number)s 段应只包含 upto 和 ratio 两个字段，请检查给付方案。",
    "Segment %(number)s must end above 0 yuan: check its upto.": "第 %(number)s 段的上限应大于0元，请检查其 upto。",
    "Segment %(number)s ends below the segment before it: list the segments in ascending order of upto.": "第 %(number)s 段的上限低于前一段，请按 upto 从小到大排列各段。",
    "Segment %(number)s ends at the same amount as the segment before it, so the two overlap: merge them or change one upto.": "第 %(number)s 段的上限与前一段相同，两段重叠，请合并这两段或修改其中一段的 upto。",
    "Only the last segment may be open-ended (upto null): give segment %(number)s an upper limit.": "只有最后一段可以不设上限（upto 为 null），请为第 %(number)s 段设置上限。",
    "The last segment must be open-ended (upto null) so that every amount falls in a segment: set its upto to null.": "最后一段必须不设上限（upto 为 null），以便任何金额都能落入某一段，请将其 upto 设为 null。",
}
