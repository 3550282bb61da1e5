#!/usr/bin/python3
"""Interop: a Python zeep client, built from the gateway's own ?wsdl, signs a SyncChannel
SendMessage with WS-Security (BinarySecurityToken + Reference, RSA-SHA256) and calls shepgw.

The answer must carry the gateway's transport signature: zeep (python-xmlsec) verifies it with
the gateway's certificate (zeep's own default would check it against the client's certificate).

usage: zeep_client.py URL CA_PEM KEY_PEM CERT_PEM GATEWAY_CERT_PEM MESSAGE_ID
Prints the response's status code and correlationId; exits non-zero on any failure.
"""
import sys

import requests
import xmlsec
from zeep import Client, Settings
from zeep.transports import Transport
from zeep.wsse.signature import BinarySignature, _verify_envelope_with_key


class SignAsClientVerifyGateway(BinarySignature):
    """Signs requests with the client's key; verifies answers with the gateway's certificate."""

    def __init__(self, key, cert, gateway_cert, **kwargs):
        super().__init__(key, cert, **kwargs)
        self._gateway_key = xmlsec.Key.from_file(gateway_cert, xmlsec.KeyFormat.CERT_PEM)

    def verify(self, envelope):
        _verify_envelope_with_key(envelope, self._gateway_key)
        return envelope


def main() -> int:
    url, ca, key, cert, gateway_cert, message_id = sys.argv[1:7]
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE in the environment must not override it
    session.verify = ca
    transport = Transport(session=session, timeout=15, operation_timeout=15)
    signature = SignAsClientVerifyGateway(key, cert, gateway_cert,
                                          signature_method=xmlsec.Transform.RSA_SHA256,
                                          digest_method=xmlsec.Transform.SHA256)
    client = Client(url + "?wsdl", transport=transport, wsse=signature,
                    settings=Settings(strict=False))
    service = client.create_service(
        "{http://bip.bee.kz/SyncChannel/v10/Interfaces/Binding2}SyncChannelHttpBinding", url)
    response = service.SendMessage(request={
        "requestInfo": {
            "messageId": message_id,
            "serviceId": "GBDFL_UniversalServiceSync",
            "messageDate": "2026-11-22T12:00:00.000+06:00",
            "sender": {"senderId": "test-sender"},
        },
        "requestData": {"data": "zeep"},
    })
    info = response["responseInfo"]
    print("status", info["status"]["code"], "correlationId", info["correlationId"])
    return 0 if info["status"]["code"] == "SCSS001" and info["correlationId"] == message_id else 1


if __name__ == "__main__":
    sys.exit(main())
