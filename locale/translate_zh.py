"""Fills locale/zh_Hans/LC_MESSAGES/django.po after `makemessages`, from the table below (the
core's messages) and from the `ZH` table of every module in locale/zh/ (one per app or feature).

Usage: python manage.py makemessages -l zh_Hans --no-location --no-obsolete … && python locale/translate_zh.py
Exits non-zero and lists the messages that have no Chinese yet.
"""

import importlib.util
import sys
from pathlib import Path

import polib

ZH = {
    # Apps
    "Core: organisations, accounts, audit": "核心：组织、账户、审计",
    "Enrollment": "承保",
    "Claims": "理赔",
    "Finance": "财务",
    "Reporting": "报表",
    # Tree
    "Provincial office": "省办事处",
    "City office": "市代办处",
    "Industry branch": "产业工会",
    "County agent point": "代办点",
    "Employer unit": "基层工会单位",
    "code": "编码",
    "name": "名称",
    "kind": "类型",
    "parent": "上级",
    "staff headcount": "职工人数",
    "active": "启用",
    "organisation": "组织",
    "organisations": "组织",
    "full name": "姓名",
    "user": "用户",
    "users": "用户",
    # Roles
    "Unit agent": "代办员",
    "County agent": "代办点经办人",
    "Claims officer": "理赔员",
    "Claims supervisor": "部门主管",
    "Compliance officer": "合规管理",
    "Finance officer": "财务人员",
    "Finance head": "财务负责人",
    "Office head": "代办处负责人",
    "Leader in charge": "分管领导",
    "Auditor": "审计",
    "API client": "数据接口",
    # Navigation and layout
    "Home": "首页",
    "Organisations": "组织机构",
    "Accounts": "账户管理",
    "Audit trail": "审计日志",
    "Mutual-aid protection platform": "互助保障管理平台",
    "Change password": "修改密码",
    "Log out": "退出",
    "Main navigation": "主导航",
    "Simplified Chinese": "简体中文",
    "English": "英文",
    # Login
    "Log in": "登录",
    "Username": "用户名",
    "Password": "密码",
    "For staff of the mutual-aid offices, agent points and units.": "供各级互助保障办事处、代办点及基层单位工作人员使用。",
    "Your session has ended or you are not logged in yet. Please log in to continue.": "您尚未登录或会话已结束，请登录后继续。",
    "The username or password is wrong. After %(limit)s failed attempts the account is locked for 30 minutes.": "用户名或密码错误。连续输错 %(limit)s 次后，账户将被锁定 30 分钟。",
    "This account has been disabled. Ask your office head to re-enable it.": "该账户已停用，请联系代办处负责人重新启用。",
    "Account locked": "账户已锁定",
    "Too many wrong passwords for this account. It is locked for 30 minutes; try again later, or ask your office head to unlock it.": "该账户密码错误次数过多，已锁定 30 分钟。请稍后再试，或联系代办处负责人解锁。",
    "Back to the login page": "返回登录页",
    "Your session has expired. Please log in again.": "会话已过期，请重新登录。",
    "Password changed": "密码已修改",
    "Your password must mix at least three of: lower-case letters, upper-case letters, digits, symbols.": "密码须至少包含以下四类中的三类：小写字母、大写字母、数字、符号。",
    # Errors
    "Not allowed": "无权访问",
    "Your roles do not allow this page. If you need it, ask your office head.": "您的角色无权访问此页面。如需使用，请联系代办处负责人。",
    "Your roles do not allow this page.": "您的角色无权访问此页面。",
    "Your roles do not allow this.": "您的角色无权执行此操作。",
    "Not found": "未找到",
    "There is no such page or record in your office's tree.": "在您所属机构范围内没有该页面或记录。",
    "Back to the home page": "返回首页",
    "No such organisation in your office's tree.": "您所属机构范围内没有该组织。",
    "No such account in your office's tree.": "您所属机构范围内没有该账户。",
    # Home and organisations
    "Welcome, %(name)s": "欢迎，%(name)s",
    "Your roles: %(roles)s": "您的角色：%(roles)s",
    "Your account is not attached to an office. Operators use the administration site.": "您的账户未归属任何机构。系统运维人员请使用管理后台。",
    "Offices": "办事处",
    "Agent points": "代办点",
    "Employer units": "基层单位",
    "Staff of the units": "单位职工总数",
    "Active accounts": "启用账户",
    "Directly under your office": "直属下级",
    "Directly under this node": "直属下级",
    "Name": "名称",
    "Kind": "类型",
    "Code": "编码",
    "Sub-units": "下级数",
    "Staff headcount": "职工人数",
    "Status": "状态",
    "Active": "启用",
    "Inactive": "停用",
    "Nothing yet.": "暂无。",
    "Accounts at this node": "本级账户",
    "No accounts.": "暂无账户。",
    "Add an organisation": "新增组织",
    "Add under this node": "在此下新增",
    "Parent": "上级组织",
    "Units only.": "仅基层单位填写。",
    "Name or code": "名称或编码",
    "All kinds": "全部类型",
    "Filter": "筛选",
    "No organisation matches.": "没有符合条件的组织。",
    "Save": "保存",
    "Added %(name)s.": "已新增 %(name)s。",
    "This code is already in use. Choose another.": "该编码已被使用，请换一个。",
    "You may only add organisations inside your own office's tree.": "只能在本机构范围内新增组织。",
    "A %(kind)s cannot be placed under a %(parent)s.": "“%(kind)s”不能设在“%(parent)s”之下。",
    "nothing": "无上级",
    "Enter the unit's staff headcount (a whole number of at least 1).": "请填写单位职工人数（不小于 1 的整数）。",
    "Previous": "上一页",
    "Next": "下一页",
    "Page %(n)s of %(total)s": "第 %(n)s 页，共 %(total)s 页",
    # Accounts
    "New account": "新建账户",
    "Username or name": "用户名或姓名",
    "Full name": "姓名",
    "Organisation": "所属组织",
    "Roles": "角色",
    "Initial password": "初始密码",
    "Use letters, digits and @ . + - _ only.": "只能使用字母、数字及 @ . + - _。",
    "Last login": "最近登录",
    "Disabled": "已停用",
    "Disable": "停用",
    "Enable": "启用",
    "Account %(username)s created.": "账户 %(username)s 已创建。",
    "Account %(username)s updated.": "账户 %(username)s 已更新。",
    "You may only create accounts inside your own office's tree.": "只能在本机构范围内创建账户。",
    "You may only manage accounts inside your own office's tree.": "只能管理本机构范围内的账户。",
    "Your roles do not allow managing accounts.": "您的角色无权管理账户。",
    "Choose at least one role.": "请至少选择一个角色。",
    "The role “%(role)s” cannot be held at a %(kind)s.": "“%(kind)s”的账户不能担任“%(role)s”角色。",
    "You cannot disable your own account.": "不能停用自己的账户。",
    # Audit
    "Every creation and change of a record in your office's tree, newest first. The trail cannot be edited.": "本机构范围内每一条记录的新增和修改，按时间倒序。审计日志不可修改。",
    "Time": "时间",
    "Who": "操作人",
    "From": "所属机构",
    "Action": "操作",
    "Record": "记录",
    "Changes": "变更内容",
    "System": "系统",
    "created": "新增",
    "changed": "修改",
    "Nothing recorded yet.": "暂无记录。",
}


def _tables() -> dict[str, str]:
    merged = dict(ZH)
    for module_path in sorted((Path(__file__).parent / "zh").glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"zh_{module_path.stem}", module_path)
        if spec is None or spec.loader is None:
            raise ImportError(module_path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        merged.update(module.ZH)
    return merged


def main() -> int:
    table = _tables()
    path = Path(__file__).parent / "zh_Hans" / "LC_MESSAGES" / "django.po"
    po = polib.pofile(str(path))
    missing = []
    for entry in po:
        if entry.obsolete:
            continue
        if entry.msgid in table:
            if entry.msgid_plural:  # Chinese has one plural form
                entry.msgstr_plural = {0: table[entry.msgid]}
            else:
                entry.msgstr = table[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
        elif "fuzzy" in entry.flags or not (entry.msgstr or any(entry.msgstr_plural.values())):
            missing.append(entry.msgid)  # a fuzzy guess of msgmerge is not a translation
    po.metadata.update(
        {
            "Project-Id-Version": "mutualaid",
            "PO-Revision-Date": po.metadata.get("POT-Creation-Date", ""),
            "Last-Translator": "mutualaid team",
            "Language-Team": "Simplified Chinese",
        }
    )
    po.metadata["Language"] = "zh_Hans"
    po.metadata_is_fuzzy = False
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    po.save()
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
