// TLS on the gRPC listeners, with the real intake process and throwaway
// certificates made at test time (scripts/make_certs.sh): a TLS
// client that trusts the CA is served, a plaintext client is not; with
// mutual TLS a client without a certificate, or with one from another CA, is
// refused; plaintext on a non-loopback address refuses to start.
#include <arpa/inet.h>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <httplib.h>
#include <memory>
#include <netinet/in.h>
#include <stdlib.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/service/tls_credentials.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/redis_test_env.h"
#include "tests/support/service_process.h"
#include "tests/support/status_matchers.h"
#include "tests/support/throwaway_certs.h"

namespace referrals {
namespace {

using ::referrals::testing::CheckServing;
using ::referrals::testing::IsOk;
using ::referrals::testing::ServiceProcess;
using ::referrals::testing::ThrowawayCerts;

// A loopback port nothing listens on (bound, read back, released).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  if (fd >= 0) close(fd);
  return port;
}

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // As the services do (common/service/signals.h): a refused handshake can
    // leave OpenSSL writing to a closed socket, which must not kill the test.
    std::signal(SIGPIPE, SIG_IGN);
    absl::StatusOr<std::unique_ptr<ThrowawayCerts>> made = ThrowawayCerts::Make();
    ASSERT_TRUE(made.ok()) << made.status();
    certs_ = made->release();
    // Authentication on (issue 8) with no callers: off loopback a service
    // needs a tokens file; health, all these tests call, stays open.
    std::ofstream(Cert("tokens")) << "# no callers\n";
    // And a data key (issue 8: no storing in clear off loopback).
    std::ofstream(Cert("data-keys")) << "tls-test " << std::string(64, 'a') << "\n";
  }
  static void TearDownTestSuite() { delete certs_; }

  static std::string Cert(const std::string& name) { return certs_->Path(name); }

  // Intake with `extra` flags, against the shared test Redis.
  std::unique_ptr<ServiceProcess> Intake(std::vector<std::string> extra) {
    RedisOptions redis = testing::RedisOptionsFromEnv();
    std::vector<std::string> args = {absl::StrCat("--redis=redis://", redis.host, ":", redis.port),
                                     absl::StrCat("--redis_prefix=", testing::UniqueKeyPrefix()),
                                     absl::StrCat("--tokens_file=", Cert("tokens")),
                                     absl::StrCat("--data_key_file=", Cert("data-keys"))};
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<ServiceProcess>(INTAKE_BINARY, args,
                                            absl::StrCat(::testing::TempDir(), "/tls_intake.log"));
  }

  std::vector<std::string> ServerTls() const {
    return {absl::StrCat("--tls_cert_file=", Cert("server.pem")),
            absl::StrCat("--tls_key_file=", Cert("server.key"))};
  }

  static ClientTlsOptions TrustingClient() { return ClientTlsOptions{Cert("ca.pem"), "", ""}; }
  static ClientTlsOptions ClientWithCert() {
    return ClientTlsOptions{Cert("ca.pem"), Cert("client.pem"), Cert("client.key")};
  }

  static ThrowawayCerts* certs_;
};

ThrowawayCerts* TlsTest::certs_ = nullptr;

TEST_F(TlsTest, TlsClientTrustingTheCaIsServed) {
  auto intake = Intake(ServerTls());
  intake->set_client_tls(TrustingClient());
  ASSERT_THAT(intake->Start(), IsOk());
  absl::StatusOr<bool> serving =
      CheckServing(intake->address(), absl::Seconds(5), TrustingClient());
  ASSERT_THAT(serving.status(), IsOk());
  EXPECT_TRUE(*serving);
  EXPECT_EQ(intake->Stop(), 0);
}

TEST_F(TlsTest, PlaintextClientIsRefusedByATlsServer) {
  auto intake = Intake(ServerTls());
  intake->set_client_tls(TrustingClient());
  ASSERT_THAT(intake->Start(), IsOk());
  EXPECT_FALSE(CheckServing(intake->address(), absl::Seconds(2)).ok());
  EXPECT_EQ(intake->Stop(), 0);
}

TEST_F(TlsTest, ClientNotTrustingTheServersCaIsRefused) {
  auto intake = Intake(ServerTls());
  intake->set_client_tls(TrustingClient());
  ASSERT_THAT(intake->Start(), IsOk());
  EXPECT_FALSE(CheckServing(intake->address(), absl::Seconds(2),
                            ClientTlsOptions{Cert("other-ca.pem"), "", ""})
                   .ok());
  EXPECT_EQ(intake->Stop(), 0);
}

TEST_F(TlsTest, MutualTlsServesAClientWithACertificateFromItsCa) {
  std::vector<std::string> flags = ServerTls();
  flags.push_back(absl::StrCat("--tls_client_ca_file=", Cert("ca.pem")));
  auto intake = Intake(flags);
  intake->set_client_tls(ClientWithCert());
  ASSERT_THAT(intake->Start(), IsOk());
  absl::StatusOr<bool> serving =
      CheckServing(intake->address(), absl::Seconds(5), ClientWithCert());
  ASSERT_THAT(serving.status(), IsOk());
  EXPECT_TRUE(*serving);
  EXPECT_EQ(intake->Stop(), 0);
}

TEST_F(TlsTest, MutualTlsRefusesClientsWithoutACertificateOrFromAnotherCa) {
  std::vector<std::string> flags = ServerTls();
  flags.push_back(absl::StrCat("--tls_client_ca_file=", Cert("ca.pem")));
  auto intake = Intake(flags);
  intake->set_client_tls(ClientWithCert());
  ASSERT_THAT(intake->Start(), IsOk());
  EXPECT_FALSE(CheckServing(intake->address(), absl::Seconds(2), TrustingClient()).ok());
  EXPECT_FALSE(CheckServing(intake->address(), absl::Seconds(2),
                            ClientTlsOptions{Cert("ca.pem"), Cert("other-client.pem"),
                                             Cert("other-client.key")})
                   .ok());
  EXPECT_FALSE(CheckServing(intake->address(), absl::Seconds(2)).ok());
  EXPECT_EQ(intake->Stop(), 0);
}

TEST_F(TlsTest, PlaintextOnANonLoopbackAddressRefusesToStart) {
  // The later --listen wins over the loopback one ServiceProcess adds.
  auto intake = Intake({"--listen=0.0.0.0:0"});
  absl::Status started = intake->Start(absl::Seconds(10));
  EXPECT_THAT(started, ::referrals::testing::StatusIs(absl::StatusCode::kInternal))
      << "intake started in plaintext on 0.0.0.0";
}

TEST_F(TlsTest, AllowInsecureIsTheExplicitEscapeHatch) {
  // The health check goes to 127.0.0.1, which 0.0.0.0 covers.
  auto intake = Intake({"--listen=0.0.0.0:0", "--allow_insecure"});
  ASSERT_THAT(intake->Start(), IsOk());
  EXPECT_EQ(intake->Stop(), 0);
}

TEST_F(TlsTest, TlsOnANonLoopbackAddressStarts) {
  std::vector<std::string> flags = ServerTls();
  flags.push_back("--listen=0.0.0.0:0");
  auto intake = Intake(flags);
  intake->set_client_tls(TrustingClient());
  ASSERT_THAT(intake->Start(), IsOk());
  EXPECT_EQ(intake->Stop(), 0);
}

TEST_F(TlsTest, HealthOnlyListenerAnswersPlaintextProbesBesideATlsListener) {
  const int health_port = FreePort();
  ASSERT_NE(health_port, 0);
  std::vector<std::string> flags = ServerTls();
  flags.push_back(absl::StrCat("--tls_client_ca_file=", Cert("ca.pem")));
  flags.push_back(absl::StrCat("--health_listen=127.0.0.1:", health_port));
  auto intake = Intake(flags);
  intake->set_client_tls(ClientWithCert());
  ASSERT_THAT(intake->Start(), IsOk());
  const std::string health_address = absl::StrCat("127.0.0.1:", health_port);
  absl::StatusOr<bool> serving = CheckServing(health_address, absl::Seconds(5));
  ASSERT_THAT(serving.status(), IsOk());
  EXPECT_TRUE(*serving);
  // health_probe, as container health checks run it.
  EXPECT_EQ(std::system(absl::StrCat(HEALTH_PROBE_BINARY, " --address=", health_address).c_str()),
            0);
  // The TLS listener still wants a client certificate.
  EXPECT_FALSE(CheckServing(intake->address(), absl::Seconds(2), TrustingClient()).ok());
  // health_probe over mutual TLS to the main listener.
  EXPECT_EQ(std::system(absl::StrCat(HEALTH_PROBE_BINARY, " --address=", intake->address(),
                                     " --tls_ca_file=", Cert("ca.pem"), " --tls_cert_file=",
                                     Cert("client.pem"), " --tls_key_file=", Cert("client.key"))
                            .c_str()),
            0);
  EXPECT_EQ(intake->Stop(), 0);
}

// The HTTP listener (portal routes, /metrics, /healthz) takes the same TLS
// flags as the gRPC one: HTTPS, and with a client CA, client certificates.
TEST_F(TlsTest, TheHttpListenerSpeaksHttpsWithTheSameCertificatesAndClientCa) {
  const int http_port = FreePort();
  ASSERT_NE(http_port, 0);
  std::vector<std::string> flags = ServerTls();
  flags.push_back(absl::StrCat("--tls_client_ca_file=", Cert("ca.pem")));
  flags.push_back(absl::StrCat("--http_listen=127.0.0.1:", http_port));
  auto intake = Intake(flags);
  intake->set_client_tls(ClientWithCert());
  ASSERT_THAT(intake->Start(), IsOk());

  httplib::SSLClient with_cert("127.0.0.1", http_port, Cert("client.pem"), Cert("client.key"));
  with_cert.set_ca_cert_path(Cert("ca.pem").c_str());
  with_cert.enable_server_certificate_verification(true);
  httplib::Result healthz = with_cert.Get("/healthz");
  ASSERT_TRUE(healthz) << httplib::to_string(healthz.error());
  EXPECT_EQ(healthz->status, 200);

  httplib::SSLClient without_cert("127.0.0.1", http_port);
  without_cert.set_ca_cert_path(Cert("ca.pem").c_str());
  without_cert.enable_server_certificate_verification(true);
  without_cert.set_read_timeout(2);
  EXPECT_FALSE(without_cert.Get("/healthz")) << "served HTTPS without a client certificate";

  httplib::Client plain("127.0.0.1", http_port);
  plain.set_read_timeout(2);
  httplib::Result plain_result = plain.Get("/healthz");
  EXPECT_TRUE(!plain_result || plain_result->status != 200) << "served plain HTTP";
  EXPECT_EQ(intake->Stop(), 0);
}

TEST_F(TlsTest, PlainHttpOnANonLoopbackAddressRefusesToStart) {
  auto intake = Intake({"--http_listen=0.0.0.0:0"});
  EXPECT_THAT(intake->Start(absl::Seconds(10)),
              ::referrals::testing::StatusIs(absl::StatusCode::kInternal))
      << "intake served plain HTTP on 0.0.0.0";
}

}  // namespace
}  // namespace referrals
