"""Chinese for the messages of the isolation and personal-data work: who may download an
uploaded member list with its full ID numbers, and how the audit trail names the download.

Read by locale/translate_zh.py after `makemessages`.
"""

ZH = {
    "Only the unit's agents, who uploaded the list, and those who may see full ID numbers can download it.": "只有本单位的经办人、上传该名单的人员以及有权查看完整身份证号码的人员可以下载该名单。",
    "member list with full ID numbers downloaded": "下载了含完整身份证号码的名单",
}
