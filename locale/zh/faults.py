"""Chinese for the page shown while the database is briefly unavailable (mutualaid/outage.py)."""

ZH = {
    "Service briefly unavailable": "服务暂时不可用",
    "The service is briefly unavailable. Please try again in a few seconds.": "服务暂时不可用，请几秒钟后重试。",
    "If you were saving something, open the page again and check whether it was saved before you enter it again: a change is saved completely or not at all.": "如果您刚才正在保存，请重新打开页面，确认是否已保存后再重新录入：每次修改要么全部保存，要么完全没有保存。",
}
