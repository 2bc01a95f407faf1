// Cluster authentication: every node of a cluster shares a secret, and both ends of an
// RPC connection prove that they know it before any other frame is accepted (mutual
// challenge-response with HMAC-SHA256; the secret never crosses the wire).
//
//   server                                          client
//   AuthServerSession::Start()
//     -> AUTH_CHALLENGE {scheme, nonce: Ns}    ---->  AuthClientSession::Answer()
//   AuthServerSession::Verify()  <----  AUTH_RESPONSE {nonce: Nc, identity, proof: Pc}
//     -> response {proof: Ps}                  ---->  AuthClientSession::Confirm()
//
//   Pc = HMAC-SHA256(secret, "lts-auth-v1" || Ns || Nc || identity)
//   Ps = HMAC-SHA256(secret, "lts-auth-v1" || Nc || Ns || identity)
//
// Ns and Nc are 32 random bytes each (RAND_bytes). The server's proof swaps the nonces,
// and the server refuses Nc == Ns, so one side's proof is never valid as the other's
// (no reflection). Proofs are compared in constant time (CRYPTO_memcmp). A fresh Ns per
// connection makes a recorded AUTH_RESPONSE useless on another connection. Message
// bodies and the frame flow: docs/rpc_protocol.md, "Authentication".
//
// This file has no sockets: the RPC connection code moves the messages (as frame
// bodies, with the *ToJson / Parse* functions) and drives the two state machines.
//
// Thread safety: AuthKey is an immutable value (any thread). A session is used by one
// thread at a time (the connection's loop). The free functions are pure.

#pragma once

#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "lts/status.h"
#include "lts/statusor.h"

namespace lts::rpc {

inline constexpr std::string_view kAuthScheme = "lts-auth-v1";
inline constexpr size_t kAuthNonceBytes = 32;
inline constexpr size_t kAuthProofBytes = 32;  // HMAC-SHA256 output.
inline constexpr size_t kMinAuthSecretBytes = 16;
inline constexpr size_t kMaxAuthIdentityBytes = 256;

// The cluster secret, checked once at configuration. Its bytes are wiped on destruction.
class AuthKey {
 public:
  // Errors: kInvalidArgument if `secret` is shorter than kMinAuthSecretBytes (the
  // message gives the length and how to make a good one; the secret is not echoed).
  static StatusOr<AuthKey> Create(std::string_view secret);

  AuthKey(const AuthKey& other) = default;
  AuthKey& operator=(const AuthKey& other);
  AuthKey(AuthKey&& other) noexcept;
  AuthKey& operator=(AuthKey&& other) noexcept;
  ~AuthKey();

  std::string_view secret() const { return secret_; }

 private:
  explicit AuthKey(std::string_view secret) : secret_(secret) {}
  void Wipe();

  std::string secret_;
};

// The messages; nonces and proofs are raw bytes here and lower-case hex in bodies.
struct AuthChallenge {
  std::string server_nonce;  // kAuthNonceBytes.
};
struct AuthResponse {
  std::string client_nonce;  // kAuthNonceBytes.
  std::string identity;      // The client node's identity (UTF-8, no control characters).
  std::string proof;         // kAuthProofBytes: Pc.
};
struct AuthConfirm {
  std::string proof;  // kAuthProofBytes: Ps.
};

// Bodies: {"scheme": "lts-auth-v1", "nonce": hex}, {"nonce": hex, "identity": string,
// "proof": hex}, {"proof": hex}. Unknown members are ignored.
nlohmann::json AuthChallengeToJson(const AuthChallenge& challenge);
nlohmann::json AuthResponseToJson(const AuthResponse& response);
nlohmann::json AuthConfirmToJson(const AuthConfirm& confirm);

// Errors: kInvalidArgument for a body that is not an object, a missing or mistyped
// member, hex of the wrong length or with a non-hex digit, an invalid identity;
// kNotSupported for another scheme.
StatusOr<AuthChallenge> ParseAuthChallenge(const nlohmann::json& body);
StatusOr<AuthResponse> ParseAuthResponse(const nlohmann::json& body);
StatusOr<AuthConfirm> ParseAuthConfirm(const nlohmann::json& body);

// Pc and Ps as defined above.
// REQUIRES: both nonces are kAuthNonceBytes long.
std::string ComputeClientProof(const AuthKey& key, std::string_view server_nonce,
                               std::string_view client_nonce, std::string_view identity);
std::string ComputeServerProof(const AuthKey& key, std::string_view server_nonce,
                               std::string_view client_nonce, std::string_view identity);

// OK if `identity` is 1 to kMaxAuthIdentityBytes bytes of UTF-8 without control
// characters. Errors: kInvalidArgument.
Status ValidateAuthIdentity(std::string_view identity);

enum class AuthState {
  kInitial,        // Nothing sent or received yet.
  kWaiting,        // Server: challenge sent. Client: response sent.
  kAuthenticated,  // The peer proved it knows the secret.
  kFailed,         // A step failed; the connection must be closed.
};

// The server side of one connection.
class AuthServerSession {
 public:
  explicit AuthServerSession(AuthKey key);

  // Makes the challenge to send: a fresh nonce. Call once, first.
  // Errors: kFailedPrecondition if not in kInitial; kInternal if the RNG fails.
  StatusOr<AuthChallenge> Start();

  // Checks the client's answer. On success the session is kAuthenticated and the result
  // is the confirmation to send back.
  // Errors (the session becomes kFailed): kFailedPrecondition if not kWaiting;
  // kInvalidArgument for a malformed response; kFailedPrecondition "authentication
  // failed" when the proof is wrong (the message does not say which part was wrong).
  StatusOr<AuthConfirm> Verify(const AuthResponse& response);

  AuthState state() const { return state_; }
  // The identity the client proved; empty until kAuthenticated.
  const std::string& peer_identity() const { return peer_identity_; }

 private:
  Status Fail(Status status);

  const AuthKey key_;
  AuthState state_ = AuthState::kInitial;
  std::string server_nonce_;
  std::string peer_identity_;
};

// The client side of one connection.
class AuthClientSession {
 public:
  // Errors: kInvalidArgument for an invalid identity (ValidateAuthIdentity).
  static StatusOr<AuthClientSession> Create(AuthKey key, std::string_view identity);

  // Answers the server's challenge with a fresh client nonce and the proof.
  // Errors (the session becomes kFailed): kFailedPrecondition if not kInitial;
  // kInvalidArgument for a malformed challenge; kInternal if the RNG fails.
  StatusOr<AuthResponse> Answer(const AuthChallenge& challenge);

  // Checks the server's proof. On success the session is kAuthenticated.
  // Errors (the session becomes kFailed): kFailedPrecondition if not kWaiting, or
  // "server authentication failed" when the proof is wrong; kInvalidArgument for a
  // malformed confirmation.
  Status Confirm(const AuthConfirm& confirm);

  AuthState state() const { return state_; }

 private:
  AuthClientSession(AuthKey key, std::string_view identity);
  Status Fail(Status status);

  AuthKey key_;
  std::string identity_;
  AuthState state_ = AuthState::kInitial;
  std::string server_nonce_;
  std::string client_nonce_;
};

}  // namespace lts::rpc
