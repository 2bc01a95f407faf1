#include "rpc/auth.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "rpc/body_codec.h"
#include "testing/status_matchers.h"

namespace lts::rpc {
namespace {

using ::lts::testing::StatusIs;
using ::nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef";
constexpr std::string_view kOtherSecret = "0123456789abcdef0123456789abcdeX";

AuthKey Key(std::string_view secret = kSecret) {
  StatusOr<AuthKey> key = AuthKey::Create(secret);
  EXPECT_OK(key.status());
  return std::move(key).value();
}

std::string Hex(std::string_view bytes) {
  std::string out;
  for (char c : bytes) out += fmt::format("{:02x}", static_cast<unsigned char>(c));
  return out;
}

std::string Range(int first) {
  std::string s;
  for (int i = 0; i < 32; ++i) s.push_back(static_cast<char>(first + i));
  return s;
}

// The messages go through their JSON bodies as they would on the wire.
template <typename Message, typename ToJson, typename Parse>
StatusOr<Message> OverTheWire(const Message& message, ToJson to_json, Parse parse) {
  std::string body;
  LTS_RETURN_IF_ERROR(EncodeBody(to_json(message), BodyFormat::kJson, &body));
  LTS_ASSIGN_OR_RETURN(json value, DecodeBody(body, BodyFormat::kJson));
  return parse(value);
}

struct Handshake {
  Status server_status;  // Of Verify().
  Status client_status;  // Of Confirm().
};

Handshake RunHandshake(AuthServerSession* server, AuthClientSession* client) {
  Handshake result;
  StatusOr<AuthChallenge> challenge = server->Start();
  EXPECT_OK(challenge.status());
  StatusOr<AuthChallenge> received =
      OverTheWire(*challenge, AuthChallengeToJson, ParseAuthChallenge);
  EXPECT_OK(received.status());
  StatusOr<AuthResponse> response = client->Answer(*received);
  EXPECT_OK(response.status());
  StatusOr<AuthResponse> response_received =
      OverTheWire(*response, AuthResponseToJson, ParseAuthResponse);
  EXPECT_OK(response_received.status());
  StatusOr<AuthConfirm> confirm = server->Verify(*response_received);
  result.server_status = confirm.status();
  if (!confirm.ok()) return result;
  StatusOr<AuthConfirm> confirm_received =
      OverTheWire(*confirm, AuthConfirmToJson, ParseAuthConfirm);
  EXPECT_OK(confirm_received.status());
  result.client_status = client->Confirm(*confirm_received);
  return result;
}

TEST(AuthTest, ShortSecretsAreRefusedAtConfiguration) {
  EXPECT_THAT(AuthKey::Create("too-short"),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("secret is 9 bytes; at least 16 are required")));
  EXPECT_THAT(AuthKey::Create(""), StatusIs(StatusCode::kInvalidArgument, Not(HasSubstr("''"))));
  EXPECT_OK(AuthKey::Create("0123456789abcdef").status());
}

TEST(AuthTest, ProofsMatchTheSpecifiedHmacInputs) {
  // Computed independently: hmac.new(secret, b"lts-auth-v1" + a + b + identity, sha256).
  const AuthKey key = Key();
  EXPECT_EQ("60ee725e06553acdbcfcad62b2dccb4eb3439161eb7c94b0b848865f0f830e24",
            Hex(ComputeClientProof(key, Range(0), Range(32), "tasktracker-1")));
  EXPECT_EQ("5d5464c6f018872d814f9af74c4ea02f7737677b5a7e145759f893a2aa63d58f",
            Hex(ComputeServerProof(key, Range(0), Range(32), "tasktracker-1")));
}

TEST(AuthTest, MutualAuthenticationSucceedsWithTheSameSecret) {
  AuthServerSession server(Key());
  ASSERT_OK_AND_ASSIGN(AuthClientSession client, AuthClientSession::Create(Key(), "tt-1"));
  const Handshake result = RunHandshake(&server, &client);
  EXPECT_OK(result.server_status);
  EXPECT_OK(result.client_status);
  EXPECT_EQ(AuthState::kAuthenticated, server.state());
  EXPECT_EQ(AuthState::kAuthenticated, client.state());
  EXPECT_EQ("tt-1", server.peer_identity());
}

TEST(AuthTest, ClientWithTheWrongSecretIsRefused) {
  AuthServerSession server(Key());
  ASSERT_OK_AND_ASSIGN(AuthClientSession client,
                       AuthClientSession::Create(Key(kOtherSecret), "tt-1"));
  const Handshake result = RunHandshake(&server, &client);
  EXPECT_THAT(result.server_status,
              StatusIs(StatusCode::kFailedPrecondition, "authentication failed"));
  EXPECT_EQ(AuthState::kFailed, server.state());
  EXPECT_EQ("", server.peer_identity());
}

TEST(AuthTest, ServerWithTheWrongSecretIsRefusedByTheClient) {
  // An impostor server does not know the secret, so it cannot check the client's proof
  // either; it answers with a proof made from its own guess at the secret.
  const AuthKey impostor = Key(kOtherSecret);
  AuthServerSession server(Key(kOtherSecret));
  ASSERT_OK_AND_ASSIGN(AuthClientSession client, AuthClientSession::Create(Key(), "tt-1"));
  ASSERT_OK_AND_ASSIGN(AuthChallenge challenge, server.Start());
  ASSERT_OK_AND_ASSIGN(AuthResponse response, client.Answer(challenge));
  const AuthConfirm forged{ComputeServerProof(impostor, challenge.server_nonce,
                                              response.client_nonce, response.identity)};
  EXPECT_THAT(client.Confirm(forged),
              StatusIs(StatusCode::kFailedPrecondition, "server authentication failed"));
  EXPECT_EQ(AuthState::kFailed, client.state());
}

TEST(AuthTest, ServerCannotReflectTheClientsProof) {
  AuthServerSession server(Key());
  ASSERT_OK_AND_ASSIGN(AuthClientSession client, AuthClientSession::Create(Key(), "tt-1"));
  ASSERT_OK_AND_ASSIGN(AuthChallenge challenge, server.Start());
  ASSERT_OK_AND_ASSIGN(AuthResponse response, client.Answer(challenge));
  EXPECT_THAT(client.Confirm(AuthConfirm{response.proof}),
              StatusIs(StatusCode::kFailedPrecondition, "server authentication failed"));
}

TEST(AuthTest, ClientNonceEqualToTheServerNonceIsRefused) {
  // With Nc == Ns the two proofs would coincide; an attacker could then pass off a
  // server's proof as a client's.
  const AuthKey key = Key();
  AuthServerSession server(Key());
  ASSERT_OK_AND_ASSIGN(AuthChallenge challenge, server.Start());
  AuthResponse response;
  response.client_nonce = challenge.server_nonce;
  response.identity = "tt-1";
  response.proof =
      ComputeClientProof(key, challenge.server_nonce, response.client_nonce, response.identity);
  EXPECT_THAT(server.Verify(response),
              StatusIs(StatusCode::kFailedPrecondition, "authentication failed"));
}

TEST(AuthTest, ReplayedResponseFailsAgainstAFreshNonce) {
  AuthServerSession first_server(Key());
  ASSERT_OK_AND_ASSIGN(AuthClientSession client, AuthClientSession::Create(Key(), "tt-1"));
  ASSERT_OK_AND_ASSIGN(AuthChallenge first_challenge, first_server.Start());
  ASSERT_OK_AND_ASSIGN(AuthResponse recorded, client.Answer(first_challenge));
  ASSERT_OK(first_server.Verify(recorded).status());

  // An eavesdropper replays the recorded answer on a new connection.
  AuthServerSession second_server(Key());
  ASSERT_OK_AND_ASSIGN(AuthChallenge second_challenge, second_server.Start());
  EXPECT_NE(first_challenge.server_nonce, second_challenge.server_nonce);
  EXPECT_THAT(second_server.Verify(recorded),
              StatusIs(StatusCode::kFailedPrecondition, "authentication failed"));
}

TEST(AuthTest, ProofIsBoundToTheIdentity) {
  AuthServerSession server(Key());
  ASSERT_OK_AND_ASSIGN(AuthClientSession client, AuthClientSession::Create(Key(), "tt-1"));
  ASSERT_OK_AND_ASSIGN(AuthChallenge challenge, server.Start());
  ASSERT_OK_AND_ASSIGN(AuthResponse response, client.Answer(challenge));
  response.identity = "jobtracker-1";
  EXPECT_THAT(server.Verify(response),
              StatusIs(StatusCode::kFailedPrecondition, "authentication failed"));
}

TEST(AuthTest, StepsOutOfOrderFailAndAFailedSessionStaysFailed) {
  AuthServerSession server(Key());
  EXPECT_THAT(server.Verify(AuthResponse{}),
              StatusIs(StatusCode::kFailedPrecondition, ::testing::_));
  EXPECT_EQ(AuthState::kFailed, server.state());
  EXPECT_THAT(server.Start(), StatusIs(StatusCode::kFailedPrecondition, ::testing::_));

  ASSERT_OK_AND_ASSIGN(AuthClientSession client, AuthClientSession::Create(Key(), "tt-1"));
  EXPECT_THAT(client.Confirm(AuthConfirm{std::string(32, 'x')}),
              StatusIs(StatusCode::kFailedPrecondition, ::testing::_));
  EXPECT_THAT(client.Answer(AuthChallenge{std::string(32, 'n')}),
              StatusIs(StatusCode::kFailedPrecondition, ::testing::_));

  AuthServerSession twice(Key());
  ASSERT_OK(twice.Start().status());
  EXPECT_THAT(twice.Start(), StatusIs(StatusCode::kFailedPrecondition, ::testing::_));
}

TEST(AuthTest, TruncatedMessagesAreRejected) {
  AuthServerSession server(Key());
  ASSERT_OK_AND_ASSIGN(AuthChallenge challenge, server.Start());
  AuthResponse truncated;
  truncated.client_nonce = std::string(31, 'n');
  truncated.identity = "tt-1";
  truncated.proof = std::string(32, 'p');
  EXPECT_THAT(server.Verify(truncated), StatusIs(StatusCode::kInvalidArgument, HasSubstr("size")));

  ASSERT_OK_AND_ASSIGN(AuthClientSession client, AuthClientSession::Create(Key(), "tt-1"));
  EXPECT_THAT(client.Answer(AuthChallenge{std::string(16, 'n')}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("nonce size")));
}

TEST(AuthTest, GarbageBodiesAreRejected) {
  const std::string nonce_hex(64, 'a');
  const std::string proof_hex(64, 'b');
  EXPECT_THAT(ParseAuthChallenge(json::array()),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("expected an object")));
  EXPECT_THAT(ParseAuthChallenge(json{{"nonce", nonce_hex}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("\"scheme\"")));
  EXPECT_THAT(ParseAuthChallenge(json{{"scheme", "lts-auth-v2"}, {"nonce", nonce_hex}}),
              StatusIs(StatusCode::kNotSupported, HasSubstr("\"lts-auth-v2\"")));
  EXPECT_THAT(ParseAuthChallenge(json{{"scheme", "lts-auth-v1"}, {"nonce", nonce_hex + "a"}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("65 hex digits, expected 64")));
  EXPECT_THAT(
      ParseAuthChallenge(json{{"scheme", "lts-auth-v1"}, {"nonce", std::string(63, 'a') + "g"}}),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("non-hex digit at 62")));
  EXPECT_THAT(ParseAuthChallenge(json{{"scheme", "lts-auth-v1"}, {"nonce", 12}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("missing string member")));

  EXPECT_THAT(ParseAuthResponse(json{{"nonce", nonce_hex}, {"proof", proof_hex}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("\"identity\"")));
  EXPECT_THAT(ParseAuthResponse(json{{"nonce", nonce_hex}, {"identity", ""}, {"proof", proof_hex}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("identity: 0 bytes")));
  EXPECT_THAT(
      ParseAuthResponse(json{{"nonce", nonce_hex}, {"identity", "a\nb"}, {"proof", proof_hex}}),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("control character")));
  EXPECT_THAT(ParseAuthResponse(json{{"nonce", nonce_hex}, {"identity", "tt"}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("\"proof\"")));
  EXPECT_THAT(ParseAuthConfirm(json{{"proof", "ab"}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("2 hex digits")));
  EXPECT_THAT(ParseAuthConfirm(json("x")),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("expected an object")));

  // Upper-case hex and unknown members are accepted.
  ASSERT_OK_AND_ASSIGN(AuthConfirm confirm,
                       ParseAuthConfirm(json{{"proof", std::string(64, 'F')}, {"extra", 1}}));
  EXPECT_EQ(std::string(32, '\xff'), confirm.proof);
}

TEST(AuthTest, ClientIdentityIsValidatedUpFront) {
  EXPECT_THAT(AuthClientSession::Create(Key(), ""),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("client identity")));
  EXPECT_THAT(AuthClientSession::Create(Key(), std::string(257, 'a')),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("257 bytes")));
  EXPECT_THAT(AuthClientSession::Create(Key(), "\xff"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("UTF-8")));
}

TEST(AuthTest, KeysCopyAndMove) {
  AuthKey key = Key();
  AuthKey copy = key;
  EXPECT_EQ(kSecret, copy.secret());
  AuthKey moved = std::move(copy);
  EXPECT_EQ(kSecret, moved.secret());
  copy = moved;
  EXPECT_EQ(kSecret, copy.secret());
}

}  // namespace
}  // namespace lts::rpc
