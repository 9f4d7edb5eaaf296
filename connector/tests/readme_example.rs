//! The README's "Using it from Rust tests" example, kept compiling and passing here so the README
//! cannot drift from the code.

#[tokio::test]
async fn offboarding_suspends_the_user() {
    let server = emulator::TestServer::start().await; // random port, manual clock, demo account
    let client = connector::Client::new(server.scim_url(), server.scim_token()).unwrap();
    let users = client.list_all_users(Some(r#"userName eq "carol@example.com""#)).await.unwrap();
    let user = client.suspend_user(&users[0].id).await.unwrap();
    assert_eq!(user.status, connector::UserStatus::Suspended);
}
