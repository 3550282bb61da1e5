#!/usr/bin/env python3
"""Writes N unsigned SendMessage envelopes of about SIZE bytes into DIR (bench/run-load.sh).

    gen_messages.py DIR SIZE N SENDER SERVICE

Each file has its own messageId (uuid4) and messageDate; the payload is records of Cyrillic
text in requestData/data, padded so that the unsigned envelope is SIZE bytes (+- one record).
The harness then signs each file with `shepgw sign` (the signature adds ~2.9 KB)."""
import datetime
import os
import sys
import uuid

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Header/><SOAP-ENV:Body><ns3:SendMessage xmlns:ns3="http://bip.bee.kz/SyncChannel/v10/Types"><request><requestInfo><messageId>{mid}</messageId><serviceId>{service}</serviceId><messageDate>{date}</messageDate><sender><senderId>{sender}</senderId></sender></requestInfo><requestData><data>"""
TAIL = """</data></requestData></request></ns3:SendMessage></SOAP-ENV:Body></SOAP-ENV:Envelope>
"""
RECORD = ("<record><iin>{iin:012d}</iin><name>Иванов Иван Иванович</name>"
          "<address>г. Астана, ул. Кенесары, д. {n}, кв. 12</address></record>")


def main() -> int:
    out_dir, size, count, sender, service = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
        sys.argv[4], sys.argv[5]
    os.makedirs(out_dir, exist_ok=True)
    for i in range(count):
        date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        head = HEAD.format(mid=uuid.uuid4(), service=service, date=date, sender=sender)
        parts = [head]
        used = len(head.encode()) + len(TAIL)
        n = 0
        while True:
            rec = RECORD.format(iin=931002451325 + n, n=n)
            rec_len = len(rec.encode())
            if used + rec_len > size and n > 0:
                break
            parts.append(rec)
            used += rec_len
            n += 1
        parts.append(TAIL)
        with open(os.path.join(out_dir, f"{i:05d}.xml"), "w", encoding="utf-8") as f:
            f.write("".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
