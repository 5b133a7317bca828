"""Chinese for retention and the audit notes (see locale/translate_zh.py)."""

ZH = {
    "(anonymised)": "（已匿名）",
    "Authorisation refused": "授权被拒绝",
    "Expired personal data anonymised": "到期个人信息已匿名化",
    "action": "操作",
    "record": "记录",
    "audit note": "审计记录",
    "audit notes": "审计记录",
    "Members' personal data": "参保人员个人信息",
    "Uploaded member-list workbooks": "上传的参保人员名单文件",
    "Checked rows of decided member lists": "已审批名单的校验明细行",
    "Member-card PDFs": "保障卡 PDF 文件",
    "Claims' names, diagnoses and bank accounts": "理赔案件的姓名、诊断和银行账号",
    "Claims' scanned documents": "理赔案件的扫描材料",
    "Export files": "导出文件",
}
