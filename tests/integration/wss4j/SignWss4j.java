// Signs a SOAP 1.1 envelope the way the ShEP reference clients do (shep-protocol §4.1, WSS4J 1.x
// SignWssSec): WSSecSignature over the Body (wsu:Id added by WSS4J), exclusive c14n, RSA-SHA256,
// SHA-256, soap:mustUnderstand="1", no timestamp. Used by tests/integration/interop_test.cc,
// compiled at test time against Debian's libwss4j-java (1.6) and libxml-security-java.
//
// Usage: java SignWss4j KEYSTORE.p12 PASSWORD ALIAS keyid|issuerserial IN.xml OUT.xml
//        java SignWss4j verify CA.pem... IN.xml
//   verify: processes IN's wsse:Security with WSSecurityEngine the way a WSS4J client checks an
//   answer (signature, then trust in the signer certificate against the given CA certificates)
//   and prints "VERIFIED <signer subject>" when the signature covers the soap:Body.
import java.io.File;
import java.io.FileInputStream;
import java.io.InputStream;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;

import org.apache.ws.security.WSConstants;
import org.apache.ws.security.WSDataRef;
import org.apache.ws.security.WSSConfig;
import org.apache.ws.security.WSSecurityEngine;
import org.apache.ws.security.WSSecurityEngineResult;
import org.apache.ws.security.components.crypto.Merlin;
import org.apache.ws.security.message.WSSecHeader;
import org.apache.ws.security.message.WSSecSignature;
import org.w3c.dom.Document;

public final class SignWss4j {
  public static void main(String[] args) throws Exception {
    if (args.length >= 3 && args[0].equals("verify")) {
      verify(args);
      return;
    }
    if (args.length != 6) {
      System.err.println("usage: SignWss4j KEYSTORE.p12 PASSWORD ALIAS keyid|issuerserial IN OUT");
      System.exit(2);
    }
    WSSConfig.init();
    KeyStore keystore = KeyStore.getInstance("PKCS12");
    try (InputStream in = new FileInputStream(args[0])) {
      keystore.load(in, args[1].toCharArray());
    }
    Merlin crypto = new Merlin();
    crypto.setKeyStore(keystore);

    DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
    dbf.setNamespaceAware(true);
    Document doc = dbf.newDocumentBuilder().parse(new File(args[4]));

    WSSecHeader header = new WSSecHeader();
    header.setMustUnderstand(true);
    header.insertSecurityHeader(doc);

    WSSecSignature signature = new WSSecSignature();
    signature.setUserInfo(args[2], args[1]);
    switch (args[3]) {
      case "keyid":  // KeyIdentifier X509v3 with the whole certificate: SignWssSec
        signature.setKeyIdentifierType(WSConstants.X509_KEY_IDENTIFIER);
        break;
      case "issuerserial":  // WSS4J's default, what ShEP itself sends
        signature.setKeyIdentifierType(WSConstants.ISSUER_SERIAL);
        break;
      default:
        throw new IllegalArgumentException("key identifier: keyid or issuerserial");
    }
    // WSS4J 1.6 has no constant for it; the reference clients pass the URI.
    signature.setSignatureAlgorithm("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
    signature.setDigestAlgo(WSConstants.SHA256);
    signature.setSigCanonicalization(WSConstants.C14N_EXCL_OMIT_COMMENTS);
    Document signed = signature.build(doc, crypto, header);

    TransformerFactory.newInstance().newTransformer().transform(
        new DOMSource(signed), new StreamResult(new File(args[5])));
  }

  private static void verify(String[] args) throws Exception {
    WSSConfig.init();
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    for (int i = 1; i < args.length - 1; ++i) {
      try (InputStream in = new FileInputStream(args[i])) {
        trust.setCertificateEntry("ca" + i, cf.generateCertificate(in));
      }
    }
    Merlin crypto = new Merlin();
    crypto.setTrustStore(trust);

    DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
    dbf.setNamespaceAware(true);
    Document doc = dbf.newDocumentBuilder().parse(new File(args[args.length - 1]));
    List<WSSecurityEngineResult> results =
        new WSSecurityEngine().processSecurityHeader(doc, null, null, crypto);
    if (results == null) {
      throw new IllegalStateException("no wsse:Security header");
    }
    for (WSSecurityEngineResult r : results) {
      if (((Integer) r.get(WSSecurityEngineResult.TAG_ACTION)) != WSConstants.SIGN) {
        continue;
      }
      @SuppressWarnings("unchecked")
      List<WSDataRef> refs = (List<WSDataRef>) r.get(WSSecurityEngineResult.TAG_DATA_REF_URIS);
      for (WSDataRef ref : refs) {
        if (ref.getName().getLocalPart().equals("Body")
            && ref.getName().getNamespaceURI().equals("http://schemas.xmlsoap.org/soap/envelope/")) {
          X509Certificate cert = (X509Certificate) r.get(WSSecurityEngineResult.TAG_X509_CERTIFICATE);
          System.out.println("VERIFIED " + cert.getSubjectX500Principal());
          return;
        }
      }
    }
    throw new IllegalStateException("no signature over the soap:Body");
  }
}
