// gen_gost_test_pki DIR: a GOST test PKI in NCA's format (Kazakh OIDs, r_LE‖s_LE signatures),
// made with pki/gost.h — OpenSSL's command line cannot make GOST certificates. Tests and demos
// only; scripts/gen-gost-test-pki.sh documents the files. Dates are relative to now.
#include <cstdio>
#include <fstream>
#include <string>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "shepgw/pki/gost.h"

#include <sys/stat.h>

namespace {

using shepgw::pki::gost::Algorithm;
using shepgw::pki::gost::CertificateTemplate;
using shepgw::pki::gost::CrlTemplate;
using shepgw::pki::gost::PrivateKey;
using std::chrono::hours;
using std::chrono::system_clock;

std::string dir;  // the output directory, set once in main

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "gen_gost_test_pki: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T Must(shepgw::Result<T> r, const std::string& what) {
  if (!r.ok()) {
    Die(what + ": " + r.status().ToString());
  }
  return std::move(r).value();
}

void Write(const std::string& name, const std::string& bytes) {
  std::ofstream out(dir + "/" + name, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out) {
    Die("cannot write " + name);
  }
}

std::string Pem(const char* label, const std::string& der) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio(bio, label, "", reinterpret_cast<const unsigned char*>(der.data()),
                static_cast<long>(der.size()));
  char* p = nullptr;
  const long n = BIO_get_mem_data(bio, &p);
  std::string pem(p, static_cast<size_t>(n));
  BIO_free(bio);
  return pem;
}

struct Issued {
  PrivateKey key;
  std::string cert;
};

Issued Issue(const std::string& name, Algorithm algorithm, CertificateTemplate t,
             const Issued* issuer) {
  PrivateKey key = Must(PrivateKey::Generate(algorithm), name + ": key");
  std::string cert =
      issuer == nullptr
          ? Must(shepgw::pki::gost::IssueCertificate(t, key.public_key(), key, ""), name)
          : Must(
                shepgw::pki::gost::IssueCertificate(t, key.public_key(), issuer->key, issuer->cert),
                name);
  Write(name + ".pem", Pem("CERTIFICATE", cert));
  Write(name + ".key", key.ToPkcs8Pem());
  return {std::move(key), std::move(cert)};
}

CertificateTemplate Template(const std::string& cn, uint64_t serial, system_clock::time_point nb,
                             system_clock::time_point na) {
  CertificateTemplate t;
  t.subject = {{"CN", cn}, {"C", "KZ"}};
  t.serial = serial;
  t.not_before = nb;
  t.not_after = na;
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: gen_gost_test_pki DIR\n");
    return 2;
  }
  dir = argv[1];
  ::mkdir(dir.c_str(), 0700);
  const auto now = system_clock::now();
  const auto day = hours(24);
  const Algorithm g2015 = Algorithm::kGost2015_512;

  CertificateTemplate root_t = Template("ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) shepgw TEST root", 1,
                                        now - day, now + 3650 * day);
  root_t.ca = true;
  root_t.key_usage = "critical,keyCertSign,cRLSign";
  const Issued root = Issue("root", g2015, root_t, nullptr);
  CertificateTemplate inter_t = Template("ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) shepgw TEST 2022", 2,
                                         now - day, now + 1825 * day);
  inter_t.ca = true;
  inter_t.key_usage = "critical,keyCertSign,cRLSign";
  const Issued inter = Issue("inter", g2015, inter_t, &root);
  CertificateTemplate other_t =
      Template("shepgw TEST other root (GOST)", 3, now - day, now + 3650 * day);
  other_t.ca = true;
  other_t.key_usage = "critical,keyCertSign,cRLSign";
  const Issued other = Issue("other-root", g2015, other_t, nullptr);

  Issue("signer", g2015, Template("ТЕСТОВ ТЕСТ", 0x1001, now - day, now + 365 * day), &inter);
  Issue("signer2", g2015, Template("ЕКІНШІ ТЕСТ", 0x1002, now - day, now + 365 * day), &inter);
  Issue("signer-gost2004", Algorithm::kGost2004,
        Template("ТЕСТОВ ТЕСТ 2004", 0x1003, now - day, now + 365 * day), &inter);
  Issue("signer-expired", g2015, Template("ИСТЁКШИЙ ТЕСТ", 0x1004, now - 30 * day, now - day),
        &inter);
  Issue("signer-future", g2015, Template("БУДУЩИЙ ТЕСТ", 0x1005, now + 10 * day, now + 365 * day),
        &inter);
  Issue("signer-revoked", g2015, Template("ОТОЗВАННЫЙ ТЕСТ", 0x1006, now - day, now + 365 * day),
        &inter);
  Issue("signer-untrusted", g2015, Template("ЧУЖОЙ ТЕСТ", 0x1007, now - day, now + 365 * day),
        &other);
  CertificateTemplate ku = Template("ШИФРОВАНИЕ ТЕСТ", 0x1008, now - day, now + 365 * day);
  ku.key_usage = "critical,keyEncipherment";
  Issue("signer-keyusage", g2015, ku, &inter);
  const Issued gateway = Issue(
      "gateway", g2015, Template("Шлюз shepgw TEST", 0x1009, now - day, now + 365 * day), &inter);
  Write("gateway.p12",
        Must(shepgw::pki::gost::StorePkcs12(gateway.key, gateway.cert, "test"), "gateway.p12"));

  CrlTemplate crl;
  crl.crl_number = 1;
  crl.this_update = now - hours(1);
  crl.next_update = now + 30 * day;
  crl.revoked = {{0x1006, now - hours(2)}};
  Write(
      "inter.crl.pem",
      Pem("X509 CRL", Must(shepgw::pki::gost::IssueCrl(crl, inter.key, inter.cert), "inter.crl")));
  CrlTemplate stale = crl;
  stale.crl_number = 0;
  stale.this_update = now - 2 * day;
  stale.next_update = now - day;
  Write("inter-stale.crl.pem",
        Pem("X509 CRL",
            Must(shepgw::pki::gost::IssueCrl(stale, inter.key, inter.cert), "inter-stale.crl")));
  CrlTemplate root_crl;
  root_crl.this_update = now - hours(1);
  root_crl.next_update = now + 30 * day;
  Write("root.crl.pem",
        Pem("X509 CRL",
            Must(shepgw::pki::gost::IssueCrl(root_crl, root.key, root.cert), "root.crl")));
  return 0;
}
