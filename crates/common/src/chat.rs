//! The chat room's rules shared by chat-server and poll-chat-server (to be written).
