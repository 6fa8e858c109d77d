// HTTPS on the services' HTTP listener (issue 8): a client trusting the CA is
// served and a plain-HTTP one is not; with a client CA, a client without a
// certificate or with one from another CA is refused in the handshake; the
// plaintext rule and bad TLS files. Certificates are made at test time
// (tests/support/throwaway_certs.h).
#include <csignal>
#include <fstream>
#include <httplib.h>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/service/http_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/throwaway_certs.h"

namespace referrals {
namespace {

using ::referrals::testing::IsOk;
using ::referrals::testing::StatusIs;
using ::referrals::testing::ThrowawayCerts;
using ::testing::HasSubstr;
using ::testing::Not;

class HttpServerTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // As the services do (common/service/signals.h): a refused handshake can
    // leave OpenSSL writing to a closed socket, which must not kill the test.
    std::signal(SIGPIPE, SIG_IGN);
    absl::StatusOr<std::unique_ptr<ThrowawayCerts>> made = ThrowawayCerts::Make();
    ASSERT_TRUE(made.ok()) << made.status();
    certs_ = made->release();
  }
  static void TearDownTestSuite() { delete certs_; }
  static std::string Cert(const std::string& name) { return certs_->Path(name); }

  static ServerTlsOptions ServerTls(bool mutual = false) {
    ServerTlsOptions tls;
    tls.cert_file = Cert("server.pem");
    tls.key_file = Cert("server.key");
    if (mutual) tls.client_ca_file = Cert("ca.pem");
    return tls;
  }

  // A server answering GET /hello with "hi".
  static std::unique_ptr<HttpServer> Server(ServerTlsOptions tls) {
    HttpServer::Options options;
    options.tls = std::move(tls);
    auto server = std::make_unique<HttpServer>(options);
    server->server().Get("/hello", [](const httplib::Request&, httplib::Response& response) {
      response.set_content("hi", "text/plain");
    });
    return server;
  }

  // GET /hello over HTTPS, verifying the server against `ca`, presenting
  // `client` (.pem/.key) when not empty. The status, or -1 when the request
  // failed (handshake refused).
  static int HttpsGet(int port, const std::string& ca, const std::string& client = "") {
    std::unique_ptr<httplib::SSLClient> https =
        client.empty() ? std::make_unique<httplib::SSLClient>("127.0.0.1", port)
                       : std::make_unique<httplib::SSLClient>(
                             "127.0.0.1", port, Cert(client + ".pem"), Cert(client + ".key"));
    https->set_ca_cert_path(Cert(ca).c_str());
    https->enable_server_certificate_verification(true);
    https->set_connection_timeout(2);
    https->set_read_timeout(2);
    httplib::Result result = https->Get("/hello");
    if (!result) return -1;
    EXPECT_EQ(result->body, "hi");
    return result->status;
  }

  static ThrowawayCerts* certs_;
};

ThrowawayCerts* HttpServerTlsTest::certs_ = nullptr;

TEST_F(HttpServerTlsTest, ServesHttpsToAClientTrustingTheCaAndNotPlainHttp) {
  auto server = Server(ServerTls());
  ASSERT_THAT(server->Start("127.0.0.1:0"), IsOk());
  EXPECT_EQ(HttpsGet(server->port(), "ca.pem"), 200);
  // A client trusting another CA refuses the server.
  EXPECT_EQ(HttpsGet(server->port(), "other-ca.pem"), -1);
  // Plain HTTP to the HTTPS port gets no answer it can read.
  httplib::Client plain("127.0.0.1", server->port());
  plain.set_connection_timeout(2);
  plain.set_read_timeout(2);
  httplib::Result result = plain.Get("/hello");
  EXPECT_TRUE(!result || result->status != 200);
}

TEST_F(HttpServerTlsTest, MutualTlsWantsAClientCertificateFromItsCa) {
  auto server = Server(ServerTls(/*mutual=*/true));
  ASSERT_THAT(server->Start("127.0.0.1:0"), IsOk());
  EXPECT_EQ(HttpsGet(server->port(), "ca.pem", "client"), 200);
  EXPECT_EQ(HttpsGet(server->port(), "ca.pem"), -1) << "served without a client certificate";
  EXPECT_EQ(HttpsGet(server->port(), "ca.pem", "other-client"), -1)
      << "served a client certificate from another CA";
}

TEST_F(HttpServerTlsTest, HttpsOnANonLoopbackAddressStarts) {
  auto server = Server(ServerTls());
  ASSERT_THAT(server->Start("0.0.0.0:0"), IsOk());
  EXPECT_EQ(HttpsGet(server->port(), "ca.pem"), 200);
}

TEST_F(HttpServerTlsTest, PlainHttpOffLoopbackIsRefusedUnlessAllowed) {
  EXPECT_THAT(Server({})->Start("0.0.0.0:0"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("refusing plaintext HTTP on non-loopback address 0.0.0.0:0")));
  ServerTlsOptions insecure;
  insecure.allow_insecure = true;
  EXPECT_THAT(Server(insecure)->Start("0.0.0.0:0"), IsOk());
}

TEST_F(HttpServerTlsTest, IncompleteSettingsAreInvalid) {
  ServerTlsOptions no_key;
  no_key.cert_file = Cert("server.pem");
  EXPECT_THAT(Server(no_key)->Start("127.0.0.1:0"), StatusIs(absl::StatusCode::kInvalidArgument));
  ServerTlsOptions ca_only;
  ca_only.client_ca_file = Cert("ca.pem");
  EXPECT_THAT(Server(ca_only)->Start("127.0.0.1:0"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("client CA")));
}

TEST_F(HttpServerTlsTest, BadFilesAreInvalidNamingTheFileNotItsContents) {
  const std::string junk = Cert("junk.pem");
  std::ofstream(junk) << "secret-material-4417\n";

  ServerTlsOptions missing = ServerTls();
  missing.cert_file = "/nonexistent/server.pem";
  EXPECT_THAT(Server(missing)->Start("127.0.0.1:0"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("/nonexistent/server.pem")));

  ServerTlsOptions junk_key = ServerTls();
  junk_key.key_file = junk;
  EXPECT_THAT(Server(junk_key)->Start("127.0.0.1:0"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::AllOf(HasSubstr(junk), Not(HasSubstr("4417")))));

  ServerTlsOptions mismatched = ServerTls();
  mismatched.key_file = Cert("client.key");
  EXPECT_THAT(Server(mismatched)->Start("127.0.0.1:0"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not its key")));

  ServerTlsOptions junk_ca = ServerTls(/*mutual=*/true);
  junk_ca.client_ca_file = junk;
  EXPECT_THAT(Server(junk_ca)->Start("127.0.0.1:0"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("client CA")));
}

}  // namespace
}  // namespace referrals
