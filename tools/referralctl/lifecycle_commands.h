// `referralctl` commands for the receiving teams (accept, redirect, reject,
// complete, cancel, worklist, claim, renew, release, outcome, overdue) and
// the lifecycle part of `get`. Each calls the routing service once with the
// deadline given and prints a few readable lines. Actors, claimers and
// comments typed on the command line are sent, never echoed to stderr.
#ifndef TOOLS_REFERRALCTL_LIFECYCLE_COMMANDS_H_
#define TOOLS_REFERRALCTL_LIFECYCLE_COMMANDS_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/channel.h>

#include "absl/time/time.h"
#include "referrals/v1/record.pb.h"

namespace referrals {

struct LifecycleCommandContext {
  std::string routing_address;  // for messages
  // The channel to it, with the command's TLS settings (main.cc's Channel).
  std::shared_ptr<grpc::Channel> routing_channel;
  absl::Duration timeout = absl::Seconds(5);
  int page_size = 0;
  std::string page_token;
  std::string token;  // bearer token for every call; "" none
};

// Runs `command` with its positional `args` if it is one of the lifecycle
// commands; returns its exit code (0 done, 1 the call failed, 2 usage), or
// nullopt for any other command.
std::optional<int> RunLifecycleCommand(const std::string& command,
                                       const std::vector<std::string>& args,
                                       const LifecycleCommandContext& context);

// The routing service's view of a referral, for `get`: etag, queue, lease,
// overdue, allowed actions, then the history with actors. Empty string and
// a message on stderr when the routing service cannot be asked.
std::string LifecycleSection(const std::string& referral_id,
                             const LifecycleCommandContext& context);

// The usage lines of these commands.
std::string LifecycleUsage();

}  // namespace referrals

#endif  // TOOLS_REFERRALCTL_LIFECYCLE_COMMANDS_H_
