"""Chinese for the messages of enrollment/idcheck.py (ID numbers, credit codes, phone numbers).

Read by locale/translate_zh.py after `makemessages`; tests/test_idcheck.py checks that every
message of the module has an entry here.
"""

ZH = {
    # Resident ID numbers
    "The ID number is missing: enter the 18-character number from the ID card.": "缺少身份证号码，请填写身份证上的18位号码。",
    "The ID number was stored as a number in Excel, so its last digits have been lost: format the column as text and enter the number again.": "身份证号码在Excel中被存储为数值，末尾几位已经丢失。请将该列设置为文本格式后重新录入号码。",
    "The ID number must have 18 characters (or 15 digits for an old card): check that no character is missing or repeated.": "身份证号码应为18位（旧版身份证为15位数字），请检查是否有遗漏或重复的字符。",
    "The ID number may contain only digits, and the letter X as the last character: check the number against the ID card.": "身份证号码只能由数字组成，最后一位可以是字母X，请与身份证核对。",
    "The date of birth in the ID number (characters 7 to 14) is not a real date on or after 1 January 1900: check the number against the ID card.": "身份证号码中的出生日期（第7至14位）不是1900年1月1日及以后的有效日期，请与身份证核对。",
    "The date of birth in the ID number (characters 7 to 14) is in the future: check the number against the ID card.": "身份证号码中的出生日期（第7至14位）晚于当前日期，请与身份证核对。",
    "The check digit (last character) is wrong: check the number against the ID card.": "校验码（最后一位）不正确，请与身份证核对。",
    # Unified Social Credit Codes
    "The Unified Social Credit Code is missing: enter the 18-character code from the business licence or registration certificate.": "缺少统一社会信用代码，请填写营业执照或登记证书上的18位代码。",
    "The Unified Social Credit Code was stored as a number in Excel, which may have changed it: format the column as text and enter the code again.": "统一社会信用代码在Excel中被存储为数值，代码可能已被改变。请将该列设置为文本格式后重新录入代码。",
    "The Unified Social Credit Code must have 18 characters: check that no character is missing or repeated.": "统一社会信用代码应为18位，请检查是否有遗漏或重复的字符。",
    "The Unified Social Credit Code may contain only digits and capital letters other than I, O, S, V and Z: check the code against the business licence or registration certificate.": "统一社会信用代码只能由数字和大写字母组成（不使用I、O、S、V、Z），请与营业执照或登记证书核对。",
    "The first character of the Unified Social Credit Code is not a registration authority code: check the code against the business licence or registration certificate.": "统一社会信用代码第1位不是有效的登记管理部门代码，请与营业执照或登记证书核对。",
    "Characters 3 to 8 of the Unified Social Credit Code must be digits (the region code): check the code against the business licence or registration certificate.": "统一社会信用代码第3至8位（登记管理机关行政区划码）应为数字，请与营业执照或登记证书核对。",
    "The check character (last character) of the Unified Social Credit Code is wrong: check the code against the business licence or registration certificate.": "统一社会信用代码的校验码（最后一位）不正确，请与营业执照或登记证书核对。",
    # Phone numbers
    "The phone number is missing: enter a mobile number or a landline number with its area code.": "缺少联系电话，请填写手机号码或带区号的固定电话号码。",
    "The phone number was stored as a number in Excel, which drops the leading 0 of the area code: format the column as text and enter the number again.": "电话号码在Excel中被存储为数值，区号开头的0已经丢失。请将该列设置为文本格式后重新录入号码。",
    "The phone number is not valid: enter an 11-digit mobile number (e.g. 138 1234 5678) or a landline number with its area code (e.g. 029-88886666).": "电话号码无效，请填写11位手机号码（如138 1234 5678）或带区号的固定电话号码（如029-88886666）。",
}
