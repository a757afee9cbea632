package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.cluster.http.MutatingRoute;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The mutating-route table's matching, without a server. */
class MutatingRouteTest {
    @Test
    void matchesMethodAndSegmentsAndHandsOverThePlaceholders() {
        assertEquals(Optional.of(List.of("CartPole-v1")),
                MutatingRoute.REWARD_ROLLBACK.match("POST", "/troupe/rewards/CartPole-v1/rollback"));
        assertEquals(Optional.of(List.of("CartPole-v1")),
                MutatingRoute.REWARD_SUBMIT.match("post", "/troupe/rewards/CartPole-v1/"), "case and a trailing /");
        assertEquals(Optional.empty(), MutatingRoute.REWARD_SUBMIT.match("GET", "/troupe/rewards/CartPole-v1"));
        assertEquals(Optional.empty(), MutatingRoute.REWARD_SUBMIT.match("POST", "/troupe/rewards//"));
        assertEquals(Optional.empty(), MutatingRoute.REWARD_SUBMIT.match("POST", "/troupe/rewards/a/b/c"));
        assertEquals(Optional.of(List.of("pekko%3A%2F%2Ftroupe%40h%3A1")), MutatingRoute.MANAGEMENT_MEMBER_LEAVE
                .match("DELETE", "/cluster/members/pekko%3A%2F%2Ftroupe%40h%3A1"));
        assertEquals(MutatingRoute.MANAGEMENT_CLUSTER_OPERATION, MutatingRoute.find("PUT", "/cluster").orElseThrow()
                .route());
        assertEquals(MutatingRoute.REWARD_TEST, MutatingRoute.find("POST", "/troupe/rewards/x/test").orElseThrow()
                .route(), "a literal segment is not taken for a placeholder's neighbour");
        assertTrue(MutatingRoute.find("GET", "/troupe/status").isEmpty());
    }

    @Test
    void noTwoRoutesClaimTheSameRequests() {
        Set<String> shapes = new HashSet<>();
        for (MutatingRoute r : MutatingRoute.values()) {
            String shape = r.method() + " " + r.template().replaceAll("\\{[^}]+}", "*");
            assertTrue(shapes.add(shape), "two routes are " + shape);
            String example = r.template().replaceAll("\\{[^}]+}", "x");
            assertEquals(r, MutatingRoute.find(r.method(), example).orElseThrow().route(), example);
        }
    }
}
