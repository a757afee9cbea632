#!/usr/bin/env python3
"""Plays CartPole-v1 against a Troupe policy service, with Python's standard library only.

    python3 cartpole_client.py --url http://127.0.0.1:8080 --policy cartpole-v1 --episodes 10 --seed 0

CartPole is Gymnasium's (same constants, Euler integration, termination at |x| > 2.4 or |theta| > 12 degrees,
truncation at 500 steps); each step sends the observation to POST /v1/policies/{policy}/act over one keep-alive
connection and applies the answered action. Prints one JSON line: the returns and their mean.
"""
import argparse
import http.client
import json
import math
import random
import sys
import urllib.parse


class CartPole:
    gravity, masscart, masspole, length, force_mag, tau = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
    theta_threshold = 12 * 2 * math.pi / 360
    x_threshold = 2.4

    def __init__(self, rng):
        self.rng = rng
        self.state = None

    def reset(self):
        self.state = [self.rng.uniform(-0.05, 0.05) for _ in range(4)]
        return list(self.state)

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = self.force_mag if action == 1 else -self.force_mag
        total_mass = self.masspole + self.masscart
        polemass_length = self.masspole * self.length
        costheta, sintheta = math.cos(theta), math.sin(theta)
        temp = (force + polemass_length * theta_dot ** 2 * sintheta) / total_mass
        thetaacc = (self.gravity * sintheta - costheta * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * costheta ** 2 / total_mass))
        xacc = temp - polemass_length * thetaacc * costheta / total_mass
        x += self.tau * x_dot
        x_dot += self.tau * xacc
        theta += self.tau * theta_dot
        theta_dot += self.tau * thetaacc
        self.state = [x, x_dot, theta, theta_dot]
        terminated = abs(x) > self.x_threshold or abs(theta) > self.theta_threshold
        return list(self.state), 1.0, terminated


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", default="http://127.0.0.1:8080")
    p.add_argument("--policy", default="cartpole-v1")
    p.add_argument("--episodes", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--token", default=None, help="the serving token, if the server needs one")
    args = p.parse_args()

    url = urllib.parse.urlparse(args.url)
    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=30)
    headers = {"Content-Type": "application/json"}
    if args.token:
        headers["Authorization"] = "Bearer " + args.token
    path = "/v1/policies/%s/act" % args.policy

    env = CartPole(random.Random(args.seed))
    returns, versions = [], set()
    for _ in range(args.episodes):
        obs, total = env.reset(), 0.0
        for _ in range(500):
            conn.request("POST", path, json.dumps({"observation": {"obs": obs}}), headers)
            response = conn.getresponse()
            body = json.loads(response.read())
            if response.status != 200:
                print("HTTP %d: %s" % (response.status, body.get("error")), file=sys.stderr)
                return 1
            versions.add(body["policyVersion"])
            obs, reward, terminated = env.step(body["action"])
            total += reward
            if terminated:
                break
        returns.append(total)
    print(json.dumps({"returns": returns, "mean_return": sum(returns) / len(returns),
                      "policy_versions": sorted(versions)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
