// Certificate helpers shared by the pki module (and its users): ownership, description,
// fingerprints, PEM loading.

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <system_error>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "shepgw/pki/trust.h"

#include "pki/openssl_util.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace shepgw::pki {

void X509Free::operator()(X509* x) const { X509_free(x); }
void EvpPkeyFree::operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }

X509Ptr UpRef(X509* cert) {
  if (cert == nullptr || X509_up_ref(cert) != 1) {
    return nullptr;
  }
  return X509Ptr(cert);
}

namespace internal {

std::string DrainOpenSslErrors() {
  std::string out;
  unsigned long e = 0;  // NOLINT(google-runtime-int): OpenSSL's type
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) {
      out += "; ";
    }
    out += buf;
  }
  return out;
}

Result<std::string> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status(ErrorCode::kGatewayInternal,
                  "cannot open: " + std::system_category().message(errno));
  }
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    return Status(ErrorCode::kGatewayInternal,
                  "cannot read: " + std::system_category().message(errno));
  }
  return bytes;
}

Result<std::string> ReadSecretFile(const std::string& path, size_t max_bytes, bool private_mode,
                                   const std::string& what) {
  // O_NONBLOCK: opening a FIFO would otherwise wait for a writer (a hang at start-up). It does
  // not change how a regular file is read.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    return Status(ErrorCode::kGatewayInternal,
                  "cannot open: " + std::system_category().message(errno));
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return Status(ErrorCode::kGatewayInternal,
                  "cannot stat: " + std::system_category().message(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return Status(ErrorCode::kGatewayInternal, "not a regular file");
  }
  if (private_mode && (st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status(ErrorCode::kGatewayInternal, std::string("mode ") + mode +
                                                   " lets other users read " + what +
                                                   "; make it 0600 (or 0400), owned by the "
                                                   "gateway's user");
  }
  if (st.st_size < 0 || static_cast<uint64_t>(st.st_size) > max_bytes) {
    return Status(ErrorCode::kGatewayInternal,
                  "larger than " + std::to_string(max_bytes) + " bytes");
  }
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      OPENSSL_cleanse(bytes.data(), bytes.size());
      return Status(ErrorCode::kGatewayInternal,
                    n == 0 ? std::string("file shrank while being read")
                           : "cannot read: " + std::system_category().message(errno));
    }
    got += static_cast<size_t>(n);
  }
  return bytes;
}

std::chrono::system_clock::time_point ToTimePoint(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    return {};
  }
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string NameToString(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  // ESC_MSB off: NCA names are Cyrillic/Kazakh; escaping every byte above 0x7f as \XX would
  // make them unreadable in logs. Control characters are still escaped by RFC 2253 rules.
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
    DrainOpenSslErrors();
    return "";
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

std::string NameForMessage(X509* cert) {
  const CertificateFacts facts = DescribeCertificate(cert);
  return "'" + facts.subject + "' (serial " + facts.serial + ")";
}

}  // namespace internal

std::string Sha256Fingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (cert == nullptr || X509_digest(cert, EVP_sha256(), md, &len) != 1) {
    internal::DrainOpenSslErrors();
    return "";
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(static_cast<size_t>(len) * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

CertificateFacts DescribeCertificate(X509* cert) {
  CertificateFacts facts;
  if (cert == nullptr) {
    return facts;
  }
  facts.subject = internal::NameToString(X509_get_subject_name(cert));
  facts.issuer = internal::NameToString(X509_get_issuer_name(cert));
  if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr); bn != nullptr) {
    if (char* dec = BN_bn2dec(bn); dec != nullptr) {
      facts.serial = dec;
      OPENSSL_free(dec);
    }
    BN_free(bn);
  }
  facts.sha256 = Sha256Fingerprint(cert);
  facts.not_after = internal::ToTimePoint(X509_get0_notAfter(cert));
  internal::DrainOpenSslErrors();
  return facts;
}

Result<std::vector<X509Ptr>> LoadPemCertificates(const std::string& path) {
  const std::string where = "'" + path + "': ";
  Result<std::string> bytes = internal::ReadFileBytes(path);
  if (!bytes.ok()) {
    return Status(ErrorCode::kGatewayInternal, where + bytes.status().message());
  }
  internal::BioPtr bio(BIO_new_mem_buf(bytes->data(), static_cast<int>(bytes->size())));
  if (!bio) {
    return Status(ErrorCode::kGatewayInternal, where + internal::DrainOpenSslErrors());
  }
  std::vector<X509Ptr> certs;
  internal::DrainOpenSslErrors();
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certs.emplace_back(x);
  }
  // The loop ends with "no start line" at the end of the input; anything else is a broken
  // PEM block, which must not be skipped silently (a truncated bundle would lose anchors).
  const unsigned long last = ERR_peek_last_error();  // NOLINT(google-runtime-int)
  const bool clean_end =
      ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
  const std::string errors = internal::DrainOpenSslErrors();
  if (!clean_end && last != 0) {
    return Status(ErrorCode::kGatewayInternal, where + "invalid PEM certificate: " + errors);
  }
  if (certs.empty()) {
    return Status(ErrorCode::kGatewayInternal, where + "no PEM certificate found");
  }
  return certs;
}

}  // namespace shepgw::pki
