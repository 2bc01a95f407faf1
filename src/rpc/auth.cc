#include "rpc/auth.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <nlohmann/json.hpp>
#include <utility>

#include "base/check.h"
#include "base/string_util.h"
#include "base/utf8.h"

namespace lts::rpc {

namespace {

using nlohmann::json;

std::string ToHex(std::string_view bytes) {
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (const char c : bytes) AppendHexByte(&hex, static_cast<uint8_t>(c), /*upper=*/false);
  return hex;
}

// Reads member `name` of `body` as hex of exactly `bytes` bytes.
Status GetHexMember(const json& body, std::string_view message, const char* name, size_t bytes,
                    std::string* out) {
  const auto it = body.find(name);
  if (it == body.end() || !it->is_string()) {
    return InvalidArgument(fmt::format("{}: missing string member \"{}\"", message, name));
  }
  const auto& hex = it->get_ref<const json::string_t&>();
  if (hex.size() != bytes * 2) {
    return InvalidArgument(fmt::format("{}: \"{}\" has {} hex digits, expected {}", message, name,
                                       hex.size(), bytes * 2));
  }
  std::string raw(bytes, '\0');
  for (size_t i = 0; i < bytes; ++i) {
    const int hi = HexDigitValue(hex[2 * i]);
    const int lo = HexDigitValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return InvalidArgument(
          fmt::format("{}: \"{}\" has a non-hex digit at {}", message, name, 2 * i));
    }
    raw[i] = static_cast<char>((hi << 4) | lo);
  }
  *out = std::move(raw);
  return Status::Ok();
}

Status RequireObject(const json& body, std::string_view message) {
  if (!body.is_object()) return InvalidArgument(fmt::format("{}: expected an object", message));
  return Status::Ok();
}

StatusOr<std::string> RandomNonce() {
  std::string nonce(kAuthNonceBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), static_cast<int>(nonce.size())) !=
      1) {
    return Internal("auth: RAND_bytes failed to produce a nonce");
  }
  return nonce;
}

std::string Hmac(const AuthKey& key, std::string_view first_nonce, std::string_view second_nonce,
                 std::string_view identity) {
  LTS_CHECK(first_nonce.size() == kAuthNonceBytes && second_nonce.size() == kAuthNonceBytes)
      << "nonce sizes " << first_nonce.size() << ", " << second_nonce.size();
  // The nonces have a fixed length and the identity comes last, so the concatenation
  // is unambiguous without length prefixes.
  std::string material;
  material.reserve(kAuthScheme.size() + 2 * kAuthNonceBytes + identity.size());
  material.append(kAuthScheme);
  material.append(first_nonce);
  material.append(second_nonce);
  material.append(identity);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  const std::string_view secret = key.secret();
  const unsigned char* result = HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
                                     reinterpret_cast<const unsigned char*>(material.data()),
                                     material.size(), mac, &mac_length);
  LTS_CHECK(result != nullptr && mac_length == kAuthProofBytes) << "HMAC-SHA256 failed";
  return std::string(reinterpret_cast<const char*>(mac), mac_length);
}

bool ProofsEqual(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

// AuthKey.

StatusOr<AuthKey> AuthKey::Create(std::string_view secret) {
  if (secret.size() < kMinAuthSecretBytes) {
    return InvalidArgument(fmt::format(
        "cluster auth secret is {} bytes; at least {} are required (32 random bytes are "
        "better, e.g. `openssl rand -hex 32`)",
        secret.size(), kMinAuthSecretBytes));
  }
  return AuthKey(secret);
}

AuthKey& AuthKey::operator=(const AuthKey& other) {
  if (this != &other) {
    Wipe();
    secret_ = other.secret_;
  }
  return *this;
}

AuthKey::AuthKey(AuthKey&& other) noexcept : secret_(std::move(other.secret_)) { other.Wipe(); }

AuthKey& AuthKey::operator=(AuthKey&& other) noexcept {
  if (this != &other) {
    Wipe();
    secret_ = std::move(other.secret_);
    other.Wipe();
  }
  return *this;
}

AuthKey::~AuthKey() { Wipe(); }

void AuthKey::Wipe() {
  if (!secret_.empty()) OPENSSL_cleanse(secret_.data(), secret_.size());
  secret_.clear();
}

// Messages.

json AuthChallengeToJson(const AuthChallenge& challenge) {
  return json{{"scheme", kAuthScheme}, {"nonce", ToHex(challenge.server_nonce)}};
}

json AuthResponseToJson(const AuthResponse& response) {
  return json{{"nonce", ToHex(response.client_nonce)},
              {"identity", response.identity},
              {"proof", ToHex(response.proof)}};
}

json AuthConfirmToJson(const AuthConfirm& confirm) { return json{{"proof", ToHex(confirm.proof)}}; }

StatusOr<AuthChallenge> ParseAuthChallenge(const json& body) {
  constexpr std::string_view kWhat = "AUTH_CHALLENGE";
  LTS_RETURN_IF_ERROR(RequireObject(body, kWhat));
  const auto scheme = body.find("scheme");
  if (scheme == body.end() || !scheme->is_string()) {
    return InvalidArgument("AUTH_CHALLENGE: missing string member \"scheme\"");
  }
  if (scheme->get_ref<const json::string_t&>() != kAuthScheme) {
    return NotSupported(fmt::format("AUTH_CHALLENGE: scheme {} is not supported (expected \"{}\")",
                                    Quote(scheme->get_ref<const json::string_t&>(), 64),
                                    kAuthScheme));
  }
  AuthChallenge challenge;
  LTS_RETURN_IF_ERROR(GetHexMember(body, kWhat, "nonce", kAuthNonceBytes, &challenge.server_nonce));
  return challenge;
}

StatusOr<AuthResponse> ParseAuthResponse(const json& body) {
  constexpr std::string_view kWhat = "AUTH_RESPONSE";
  LTS_RETURN_IF_ERROR(RequireObject(body, kWhat));
  AuthResponse response;
  LTS_RETURN_IF_ERROR(GetHexMember(body, kWhat, "nonce", kAuthNonceBytes, &response.client_nonce));
  const auto identity = body.find("identity");
  if (identity == body.end() || !identity->is_string()) {
    return InvalidArgument("AUTH_RESPONSE: missing string member \"identity\"");
  }
  response.identity = identity->get<std::string>();
  LTS_RETURN_IF_ERROR(
      ValidateAuthIdentity(response.identity).WithContext("AUTH_RESPONSE: identity"));
  LTS_RETURN_IF_ERROR(GetHexMember(body, kWhat, "proof", kAuthProofBytes, &response.proof));
  return response;
}

StatusOr<AuthConfirm> ParseAuthConfirm(const json& body) {
  constexpr std::string_view kWhat = "AUTH_RESPONSE (server proof)";
  LTS_RETURN_IF_ERROR(RequireObject(body, kWhat));
  AuthConfirm confirm;
  LTS_RETURN_IF_ERROR(GetHexMember(body, kWhat, "proof", kAuthProofBytes, &confirm.proof));
  return confirm;
}

std::string ComputeClientProof(const AuthKey& key, std::string_view server_nonce,
                               std::string_view client_nonce, std::string_view identity) {
  return Hmac(key, server_nonce, client_nonce, identity);
}

std::string ComputeServerProof(const AuthKey& key, std::string_view server_nonce,
                               std::string_view client_nonce, std::string_view identity) {
  return Hmac(key, client_nonce, server_nonce, identity);
}

Status ValidateAuthIdentity(std::string_view identity) {
  if (identity.empty() || identity.size() > kMaxAuthIdentityBytes) {
    return InvalidArgument(
        fmt::format("{} bytes; expected 1 to {}", identity.size(), kMaxAuthIdentityBytes));
  }
  if (!IsValidUtf8(identity)) return InvalidArgument("not valid UTF-8");
  if (HasControlChars(identity)) return InvalidArgument("contains a control character");
  return Status::Ok();
}

// AuthServerSession.

AuthServerSession::AuthServerSession(AuthKey key) : key_(std::move(key)) {}

Status AuthServerSession::Fail(Status status) {
  state_ = AuthState::kFailed;
  server_nonce_.clear();
  return status;
}

StatusOr<AuthChallenge> AuthServerSession::Start() {
  if (state_ != AuthState::kInitial) {
    return Fail(FailedPrecondition("auth: challenge already sent"));
  }
  StatusOr<std::string> nonce = RandomNonce();
  if (!nonce.ok()) return Fail(nonce.status());
  server_nonce_ = *nonce;
  state_ = AuthState::kWaiting;
  return AuthChallenge{std::move(nonce).value()};
}

StatusOr<AuthConfirm> AuthServerSession::Verify(const AuthResponse& response) {
  if (state_ != AuthState::kWaiting) {
    return Fail(FailedPrecondition("auth: no challenge is outstanding"));
  }
  if (response.client_nonce.size() != kAuthNonceBytes || response.proof.size() != kAuthProofBytes) {
    return Fail(InvalidArgument("auth: malformed AUTH_RESPONSE (nonce or proof size)"));
  }
  if (Status s = ValidateAuthIdentity(response.identity); !s.ok()) {
    return Fail(s.WithContext("auth: AUTH_RESPONSE identity"));
  }
  // A client nonce equal to ours would make the two proofs equal: refuse it, so that our
  // proof can never be replayed to us as the client's.
  const std::string expected =
      ComputeClientProof(key_, server_nonce_, response.client_nonce, response.identity);
  const bool same_nonce = ProofsEqual(response.client_nonce, server_nonce_);
  if (same_nonce || !ProofsEqual(expected, response.proof)) {
    return Fail(FailedPrecondition("authentication failed"));
  }
  AuthConfirm confirm{
      ComputeServerProof(key_, server_nonce_, response.client_nonce, response.identity)};
  peer_identity_ = response.identity;
  state_ = AuthState::kAuthenticated;
  return confirm;
}

// AuthClientSession.

StatusOr<AuthClientSession> AuthClientSession::Create(AuthKey key, std::string_view identity) {
  LTS_RETURN_IF_ERROR(ValidateAuthIdentity(identity).WithContext("auth: client identity"));
  return AuthClientSession(std::move(key), identity);
}

AuthClientSession::AuthClientSession(AuthKey key, std::string_view identity)
    : key_(std::move(key)), identity_(identity) {}

Status AuthClientSession::Fail(Status status) {
  state_ = AuthState::kFailed;
  return status;
}

StatusOr<AuthResponse> AuthClientSession::Answer(const AuthChallenge& challenge) {
  if (state_ != AuthState::kInitial) {
    return Fail(FailedPrecondition("auth: challenge already answered"));
  }
  if (challenge.server_nonce.size() != kAuthNonceBytes) {
    return Fail(InvalidArgument("auth: malformed AUTH_CHALLENGE (nonce size)"));
  }
  StatusOr<std::string> nonce = RandomNonce();
  if (!nonce.ok()) return Fail(nonce.status());
  // The server refuses a client nonce equal to its own (2^-256 by chance).
  if (*nonce == challenge.server_nonce) {
    return Fail(Internal("auth: the RNG repeated the server nonce"));
  }
  server_nonce_ = challenge.server_nonce;
  client_nonce_ = std::move(nonce).value();
  AuthResponse response;
  response.client_nonce = client_nonce_;
  response.identity = identity_;
  response.proof = ComputeClientProof(key_, server_nonce_, client_nonce_, identity_);
  state_ = AuthState::kWaiting;
  return response;
}

Status AuthClientSession::Confirm(const AuthConfirm& confirm) {
  if (state_ != AuthState::kWaiting) {
    return Fail(FailedPrecondition("auth: no response is outstanding"));
  }
  if (confirm.proof.size() != kAuthProofBytes) {
    return Fail(InvalidArgument("auth: malformed server proof (size)"));
  }
  const std::string expected = ComputeServerProof(key_, server_nonce_, client_nonce_, identity_);
  if (!ProofsEqual(expected, confirm.proof)) {
    return Fail(FailedPrecondition("server authentication failed"));
  }
  state_ = AuthState::kAuthenticated;
  return Status::Ok();
}

}  // namespace lts::rpc
