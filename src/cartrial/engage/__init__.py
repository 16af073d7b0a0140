"""Getting in touch: contact requests to study sites, the mail outbox (SMTP), volunteer sign-up
and alerts, private notes shared by passcode-protected links. Persistence through repositories;
no web code here."""
