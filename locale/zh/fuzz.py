"""Chinese for the messages added while fuzzing the member-list reader and the API (issue 7, "Bad
input, at scale")."""

ZH = {
    "Sheet “%(sheet)s” has values as far as cell %(cell)s, which makes it too large to read. Delete the rows below the list and the columns to the right of it (or the stray values there), save the file and upload it again.": "工作表“%(sheet)s”中的数据一直延伸到单元格 %(cell)s，范围过大，无法读取。请删除名单下方的多余行和右侧的多余列（或其中零散的内容），保存后重新上传。",
    "The request contains a null character (NUL), which is not allowed.": "请求中包含不允许的空字符（NUL）。",
}
