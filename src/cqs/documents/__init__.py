"""Document management (quản lý văn bản): incoming and outgoing official documents.

So far this package holds pure libraries without models: ``edxml`` reads and writes the
electronic-document exchange format edXML (QCVN 102:2016) and ``numbering`` the number and
symbol of a document (Decree 30/2020/NĐ-CP).
"""
