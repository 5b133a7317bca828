"""Chinese for login hardening: two-factor login, re-authentication, password age, the
authenticator reset (mutualaid/twofactor.py, mutualaid/account_views.py, templates/registration/).

Read by locale/translate_zh.py after `makemessages`.
"""

ZH = {
    # Two-factor login
    "Two-factor verification": "两步验证",
    "Your roles approve claims or payments. Enter the six-digit code that your authenticator app shows now.": "您的角色可以审批理赔或付款。请输入身份验证器应用当前显示的6位验证码。",
    "Verify": "验证",
    "Lost your phone? Ask your office head to reset your authenticator.": "手机丢失？请联系代办处负责人重置您的身份验证器。",
    "Set up two-factor login": "设置两步验证登录",
    "Your roles approve claims or payments, so your login needs a second step. Scan this QR code with an authenticator app on your phone (for example Microsoft Authenticator, Google Authenticator or FreeOTP).": "您的角色可以审批理赔或付款，因此登录需要第二步验证。请用手机上的身份验证器应用（如 Microsoft Authenticator、Google Authenticator 或 FreeOTP）扫描此二维码。",
    "Cannot scan? Enter this secret key in the app by hand (time-based, six digits, 30 seconds):": "无法扫码？请在应用中手动输入以下密钥（基于时间，6位数字，30秒）：",
    "Confirm and continue": "确认并继续",
    "Six-digit code": "6位验证码",
    "The code is wrong or has expired. Wait for a new code and try again.": "验证码错误或已过期，请等待新的验证码后重试。",
    "Your authenticator is set up. Use its code at every login.": "身份验证器已设置完成，以后每次登录都需输入其验证码。",
    "Two-factor verification is required: enter your code on the website first.": "需要两步验证：请先在网站上输入验证码。",
    # Re-authentication
    "Confirm it is you": "确认身份",
    "This action shows sensitive personal data or moves money. Enter your password again (and the code of your authenticator, if you use one) to continue.": "此操作将显示敏感个人信息或涉及资金。请再次输入密码（如使用身份验证器，还需输入验证码）后继续。",
    "For your security, confirm your password before this action.": "为保障安全，请在执行此操作前再次确认密码。",
    "The password is wrong.": "密码错误。",
    "Confirm": "确认",
    # Password age
    "Your password is more than %(days)s days old. Please choose a new one.": "您的密码已超过 %(days)s 天未更换，请设置新密码。",
    # Authenticator reset
    "Reset authenticator": "重置验证器",
    "Reset the authenticator of this account? They will set up a new one at their next login.": "确定重置该账户的身份验证器吗？该用户下次登录时需重新设置。",
    "The authenticator of %(username)s was reset; they set up a new one at their next login.": "已重置 %(username)s 的身份验证器，该用户下次登录时将重新设置。",
    "authenticator reset": "验证器已重置",
}
