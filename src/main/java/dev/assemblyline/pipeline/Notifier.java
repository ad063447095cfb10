package dev.assemblyline.pipeline;

/**
 * Where the coordinator says things: to one session (an offer, a lease taken back) or to everyone (a
 * phase change). The console implementation logs; the Slack one (a later issue) posts.
 */
public interface Notifier {
    /** @param session the session told, or null for the team channel */
    void tell(String session, String service, String text);
}
