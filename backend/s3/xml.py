"""S3 XML documents: small builders for responses and a guarded parser for request bodies."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from urllib.parse import quote
from xml.sax.saxutils import escape

from backend.s3.errors import S3Error

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
MAX_XML_BODY_BYTES = 2 * 1024 * 1024


def iso_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def http_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")


def text(value: object) -> str:
    return escape(str(value))


def element(name: str, value: object) -> str:
    return f"<{name}>{escape(str(value))}</{name}>"


def optional(name: str, value: object | None) -> str:
    return "" if value is None or value == "" else element(name, value)


def url_encoded(value: str, encode: bool) -> str:
    """`encoding-type=url` values; '+' must become %2B because botocore decodes with unquote_plus."""
    return quote(value, safe="/") if encode else value


def document(root: str, body: str) -> bytes:
    return f'{XML_DECLARATION}<{root} xmlns="{S3_NS}">{body}</{root}>'.encode()


def error_document(code: str, message: str, bucket: str | None, key: str | None, request_id: str) -> bytes:
    body = element("Code", code) + element("Message", message)
    body += optional("BucketName", bucket) + optional("Key", key)
    body += element("RequestId", request_id) + element("HostId", request_id)
    return f"{XML_DECLARATION}<Error>{body}</Error>".encode()


def parse(body: bytes) -> ET.Element:
    """Parses a request document with namespaces removed; anything odd is MalformedXML."""
    if len(body) > MAX_XML_BODY_BYTES:
        raise S3Error("MalformedXML", "The XML you provided is too large.")
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise S3Error("MalformedXML", "Document type declarations are not accepted.")
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise S3Error(
            "MalformedXML", "The XML you provided was not well-formed or did not validate against our schema."
        ) from None
    for node in root.iter():
        if node.tag.startswith("{"):
            node.tag = node.tag.split("}", 1)[1]
    return root


def child_text(node: ET.Element, name: str) -> str | None:
    found = node.find(name)
    return None if found is None else (found.text or "")
